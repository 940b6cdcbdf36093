// ecg_bnn_sample_in: sample input stage. Takes the AXI4-Stream samples (through a skid buffer),
// writes every signed 16-bit sample as it is (no clamp, docs/input_contract.md) into the sample
// ring (RING_DEPTH words, normally one iCE40 SPRAM) and schedules the windows: the N-th accepted
// sample completes the first window, every HOP-th one after it the next (HOP < N: overlapping
// windows). Completed windows are counted for the window pass (ecg_bnn_window), which reads each
// window's N samples from the ring and computes the window sums {S1, S2, K} while it copies them:
// a sample is read once per window either way, so the sums need no queue of 82-bit entries, no
// segment RAM and no running-sum adders here, and overlapping windows cost nothing extra.
// Flow control: a sample is accepted while the ring has room (occupancy < RING_DEPTH) and, if it
// completes a window, while fewer than QDEPTH completed windows wait. The ring write always has
// priority over the window pass's ring read (ring_we_o tells it the port is taken this cycle).
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_sample_in #(
  parameter int N          = 3600,   // samples per window
  parameter int HOP        = 3600,   // samples between window starts (divides N)
  parameter int RING_DEPTH = 16384,  // sample ring words (power of two, >= N + HOP)
  parameter int QDEPTH     = 2       // completed windows waiting for the window pass
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  // sample stream (signed 16 bit)
  input  logic [15:0]                   s_data_i,
  input  logic                          s_valid_i,
  output logic                          s_ready_o,
  // sample ring write port
  output logic                          ring_we_o,
  output logic [$clog2(RING_DEPTH)-1:0] ring_waddr_o,
  output logic [15:0]                   ring_wdata_o,
  // completed windows: the oldest starts HOP samples after the one before (the first at 0)
  output logic                          win_valid_o,
  input  logic                          win_pop_i,
  // the window pass has read a window: its first HOP ring words are free
  input  logic                          win_free_i
);

  localparam int RAW = $clog2(RING_DEPTH);
  localparam int QW  = (QDEPTH > 1) ? $clog2(QDEPTH) : 1;

  initial begin
    // (the window pass needs no segments; the scheduling properties assume HOP divides N)
    if (HOP < 1 || HOP > N || N % HOP != 0)
      $fatal(1, "ecg_bnn_sample_in: HOP must lie in [1, N] and divide N (N = %0d)", N);
    if ((1 << RAW) != RING_DEPTH || RING_DEPTH < N + HOP)
      $fatal(1, "ecg_bnn_sample_in: RING_DEPTH must be a power of two >= N + HOP");
    if (QDEPTH < 1 || QDEPTH > 16) $fatal(1, "ecg_bnn_sample_in: QDEPTH must lie in [1, 16]");
    if (N < 2 || N >= 4096) $fatal(1, "ecg_bnn_sample_in: N must lie in [2, 4095] (12-bit counters)");
  end

  // ---------------------------------------------------------------- input skid
  logic [15:0] x_data;
  logic        x_valid, accept;

  ecg_bnn_skid #(.WIDTH(16)) u_skid (
    .clk_i, .rst_ni,
    .s_data_i, .s_valid_i, .s_ready_o,
    .m_data_o(x_data), .m_valid_o(x_valid), .m_ready_i(accept)
  );

  // ---------------------------------------------------------------- flow control
  logic [RAW:0]    occ_q;
  logic [RAW-1:0]  wr_ptr_q;
  logic [11:0]     to_win_q;    // samples until the next window completes, minus one
  logic [QW:0]     reserved_q;  // completed windows not yet popped
  logic            completes;

  assign completes = (to_win_q == '0);

  // occupancy change +accept - (free ? HOP : 0) as one addend: a function of two bits per bit,
  // so the counter needs one adder, not an adder and a subtractor
  logic [RAW:0] occ_delta;
  assign occ_delta = win_free_i ? (accept ? (RAW+1)'(1 - HOP) : (RAW+1)'(-HOP)) : (RAW+1)'(accept);
  assign accept    = x_valid && (occ_q < (RAW+1)'(RING_DEPTH))
                  && !(completes && reserved_q == (QW+1)'(QDEPTH));

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      occ_q      <= '0;
      wr_ptr_q   <= '0;
      to_win_q   <= 12'(N - 1);
      reserved_q <= '0;
    end else begin
      occ_q <= occ_q + occ_delta;
      reserved_q <= reserved_q + (QW+1)'(accept && completes) - (QW+1)'(win_pop_i);
      if (accept) begin
        wr_ptr_q <= wr_ptr_q + 1'b1;
        to_win_q <= completes ? 12'(HOP - 1) : to_win_q - 12'd1;
      end
    end
  end

  // every int16 value is a sample (docs/input_contract.md): no clamp
  assign ring_we_o    = accept;
  assign ring_waddr_o = wr_ptr_q;
  assign ring_wdata_o = x_data;

  // ---------------------------------------------------------------- completed windows
  // reserved_q counts the completed windows not yet popped (the ring holds their samples)
  assign win_valid_o = (reserved_q != '0);

  // Reference counts (checks only): f_seen_q accepted samples since reset (saturating at N),
  // f_phase_q accepted samples modulo HOP, f_nacc_q accepted samples modulo RING_DEPTH, f_wait_q
  // windows completed minus windows popped (counted from the window schedule, not reserved_q).
`ifdef ECG_BNN_CHECKS
  logic [11:0]    f_seen_q, f_phase_q;
  logic           f_rst_q, f_ready_q, f_refused_q;
  logic [RAW-1:0] f_nacc_q;
  logic [QW+1:0]  f_wait_q;
  always @(posedge clk_i) begin
    f_rst_q     <= !rst_ni;
    f_ready_q   <= s_ready_o;
    f_refused_q <= rst_ni && x_valid && !accept;
    if (!rst_ni) begin
      f_seen_q  <= '0;
      f_phase_q <= '0;
      f_nacc_q  <= '0;
      f_wait_q  <= '0;
    end else begin
      f_wait_q <= f_wait_q - (QW+2)'(win_pop_i)
                + (QW+2)'(accept && f_seen_q >= 12'(N - 1) && f_phase_q == 12'(HOP - 1));
      if (accept) begin
        f_nacc_q  <= f_nacc_q + 1'b1;
        f_phase_q <= (f_phase_q == 12'(HOP - 1)) ? '0 : f_phase_q + 12'd1;
        if (f_seen_q != 12'(N)) f_seen_q <= f_seen_q + 12'd1;
      end
    end
  end
`endif

  // ---------------------------------------------------------------- properties
  // window scheduling: the N-th accepted sample completes the first window, then every HOP-th
  `ECG_BNN_ASSERT(WindowEveryHop,
                  !accept || completes == (f_seen_q >= 12'(N - 1) && f_phase_q == 12'(HOP - 1)))
  `ECG_BNN_ASSERT(RefCounts, f_seen_q <= 12'(N) && f_phase_q < 12'(HOP)
                  && (f_seen_q == 12'(N) || f_phase_q == f_seen_q % 12'(HOP)))
  `ECG_BNN_ASSERT(ToWindow, to_win_q == ((f_seen_q < 12'(N)) ? 12'(N - 1) - f_seen_q
                                                               : 12'(HOP - 1) - f_phase_q))
  // the count of waiting windows neither overflows nor underflows
  `ECG_BNN_ASSERT(QueueBound, reserved_q <= (QW+1)'(QDEPTH))
  `ECG_BNN_ASSERT(WaitingCount, (QW+2)'(reserved_q) == f_wait_q)
  `ECG_BNN_ASSERT(QueueNoOverflow,
                  !(accept && completes && !win_pop_i && reserved_q == (QW+1)'(QDEPTH)))
  `ECG_BNN_ASSUME(PopOnlyWaiting, !win_pop_i || win_valid_o)
  `ECG_BNN_ASSUME(FreeOnlyHeld, !win_free_i || occ_q >= (RAW+1)'(HOP))
  // the ring: never over-full, the n-th accepted sample goes to address n (mod RING_DEPTH)
  `ECG_BNN_ASSERT(RingBound, occ_q <= (RAW+1)'(RING_DEPTH))
  `ECG_BNN_ASSERT(RingInOrder, wr_ptr_q == f_nacc_q)
  // flow control: a sample is refused only when the ring is full or it would complete a window
  // while QDEPTH windows wait; s_ready_o falls only after a refusal
  `ECG_BNN_ASSERT(RefuseOnlyWhenFull, !(x_valid && !accept) || occ_q == (RAW+1)'(RING_DEPTH)
                  || (to_win_q == '0 && reserved_q == (QW+1)'(QDEPTH)))
  `ECG_BNN_ASSERT(ReadyFallsOnlyWhenFull, !(f_ready_q && !s_ready_o) || f_refused_q)
  `ECG_BNN_ASSERT(ResetEmpty, !f_rst_q || (reserved_q == '0 && occ_q == '0))
  `ECG_BNN_COVER(QueueFull, reserved_q == (QW+1)'(QDEPTH))
  `ECG_BNN_COVER(ReadyFell, f_ready_q && !s_ready_o)
  `ECG_BNN_COVER(SecondWindow, accept && completes && f_seen_q == 12'(N) && reserved_q != '0)

endmodule

`default_nettype wire
