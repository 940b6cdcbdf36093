// ecg_bnn_sample_in: sample input stage. Takes the AXI4-Stream samples (through a skid buffer),
// clamps them to signed 12 bits, writes them into the sample ring (RING_DEPTH words, normally one
// iCE40 SPRAM) and accumulates the window sums S1 = sum x and S2 = sum x^2 while the samples
// stream in. With HOP < N (overlapping windows) the sums are kept per segment of HOP samples and
// a window's sums are a running sum over N/HOP segments (segment sums in a small RAM).
// Completed windows wait in a queue of QDEPTH entries {S1, S2} for the normalisation front end.
// Flow control: a sample is accepted while the ring has room (occupancy < RING_DEPTH) and, if it
// completes a window, while the queue has a free entry. The ring write always has priority over
// the front end's ring read (ring_we_o tells it the port is taken this cycle).
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_sample_in #(
  parameter int N          = 3600,   // samples per window
  parameter int HOP        = 3600,   // samples between window starts (divides N)
  parameter int RING_DEPTH = 16384,  // sample ring words (power of two, >= N + HOP)
  parameter int QDEPTH     = 2       // completed windows waiting for the front end
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
  // queue of completed windows
  output logic                          win_valid_o,
  output logic signed [23:0]            win_s1_o,
  output logic [33:0]                   win_s2_o,
  input  logic                          win_pop_i,
  // the front end has read a window: its first HOP ring words are free
  input  logic                          win_free_i
);

  localparam int M   = N / HOP;                 // segments per window
  localparam int RAW = $clog2(RING_DEPTH);
  localparam int QW  = (QDEPTH > 1) ? $clog2(QDEPTH) : 1;
  localparam int SW  = 58;                      // {S1[23:0], S2[33:0]}

  initial begin
    if (HOP < 1 || HOP > N || N % HOP != 0)
      $fatal(1, "ecg_bnn_sample_in: HOP must lie in [1, N] and divide N (N = %0d)", N);
    if ((1 << RAW) != RING_DEPTH || RING_DEPTH < N + HOP)
      $fatal(1, "ecg_bnn_sample_in: RING_DEPTH must be a power of two >= N + HOP");
    if (QDEPTH < 1 || QDEPTH > 16) $fatal(1, "ecg_bnn_sample_in: QDEPTH must lie in [1, 16]");
    if (N < 2 || N >= 4096) $fatal(1, "ecg_bnn_sample_in: N must lie in [2, 4095] (12-bit counters)");
  end

  // ---------------------------------------------------------------- input skid and clamp
  logic [15:0] x_data;
  logic        x_valid, accept;

  ecg_bnn_skid #(.WIDTH(16)) u_skid (
    .clk_i, .rst_ni,
    .s_data_i, .s_valid_i, .s_ready_o,
    .m_data_o(x_data), .m_valid_o(x_valid), .m_ready_i(accept)
  );

  logic signed [11:0] x_clamped;
  assign x_clamped = ($signed(x_data) > 16'sd2047)  ? 12'sd2047  :
                     ($signed(x_data) < -16'sd2048) ? -12'sd2048 : x_data[11:0];

  // ---------------------------------------------------------------- flow control
  logic [RAW:0]    occ_q;
  logic [RAW-1:0]  wr_ptr_q;
  logic [11:0]     to_win_q;    // samples until the next window completes, minus one
  logic [11:0]     seg_cnt_q;   // position inside the current segment
  logic [QW:0]     reserved_q;  // completed windows accepted but not yet popped
  logic            completes, seg_last;

  assign completes = (to_win_q == '0);
  assign seg_last  = (seg_cnt_q == 12'(HOP - 1));
  assign accept    = x_valid && (occ_q < (RAW+1)'(RING_DEPTH))
                  && !(completes && reserved_q == (QW+1)'(QDEPTH));

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      occ_q      <= '0;
      wr_ptr_q   <= '0;
      to_win_q   <= 12'(N - 1);
      seg_cnt_q  <= '0;
      reserved_q <= '0;
    end else begin
      occ_q <= occ_q + (RAW+1)'(accept) - (win_free_i ? (RAW+1)'(HOP) : '0);
      reserved_q <= reserved_q + (QW+1)'(accept && completes) - (QW+1)'(win_pop_i);
      if (accept) begin
        wr_ptr_q  <= wr_ptr_q + 1'b1;
        to_win_q  <= completes ? 12'(HOP - 1) : to_win_q - 12'd1;
        seg_cnt_q <= seg_last ? '0 : seg_cnt_q + 12'd1;
      end
    end
  end

  assign ring_we_o    = accept;
  assign ring_waddr_o = wr_ptr_q;
  assign ring_wdata_o = {{4{x_clamped[11]}}, x_clamped};

  // ---------------------------------------------------------------- sums pipeline
  // A: accepted sample, B: its square, C: segment accumulation, D: window sums / queue push
  logic signed [11:0] xa_q, xb_q;
  logic               va_q, vb_q, lasta_q, lastb_q;
  logic [22:0]        sqb_q;
  logic signed [23:0] s1acc_q;
  logic [33:0]        s2acc_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      va_q <= 1'b0;
      vb_q <= 1'b0;
    end else begin
      va_q <= accept;
      vb_q <= va_q;
    end
  end

  always_ff @(posedge clk_i) begin
    if (accept) begin
      xa_q    <= x_clamped;
      lasta_q <= seg_last;
    end
    if (va_q) begin
      xb_q    <= xa_q;
      lastb_q <= lasta_q;
      sqb_q   <= 23'($signed(xa_q) * $signed(xa_q));
    end
  end

  logic signed [23:0] seg1;
  logic [33:0]        seg2;
  logic               seg_done;
  assign seg1     = s1acc_q + 24'(xb_q);
  assign seg2     = s2acc_q + 34'(sqb_q);
  assign seg_done = vb_q && lastb_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      s1acc_q <= '0;
      s2acc_q <= '0;
    end else if (vb_q) begin
      s1acc_q <= lastb_q ? '0 : seg1;
      s2acc_q <= lastb_q ? '0 : seg2;
    end
  end

  // Reference counts (checks only): f_seen_q accepted samples since reset (saturating at N),
  // f_phase_q accepted samples modulo HOP, f_win_q the windows completed by the last three
  // accepts (the pipeline A-B-D in flight: a completed window is pushed three cycles later).
`ifdef ECG_BNN_CHECKS
  logic [11:0]    f_seen_q, f_seen_d1_q, f_phase_q;
  /* verilator lint_off UNUSEDSIGNAL */  // read only by the sliding-window (HOP < N) check
  logic [11:0]    f_seen_d2_q;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [2:0]     f_win_q;
  logic           f_rst_q, f_ready_q, f_refused_q;
  logic [RAW-1:0] f_nacc_q;
  logic [QW+2:0]  f_inflight;
  always @(posedge clk_i) begin
    f_rst_q     <= !rst_ni;
    f_ready_q   <= s_ready_o;
    f_refused_q <= rst_ni && x_valid && !accept;
    if (!rst_ni) begin
      f_seen_q    <= '0;
      f_seen_d1_q <= '0;
      f_seen_d2_q <= '0;
      f_phase_q   <= '0;
      f_win_q     <= '0;
      f_nacc_q    <= '0;
    end else begin
      f_seen_d1_q <= f_seen_q;
      f_seen_d2_q <= f_seen_d1_q;
      f_win_q     <= {f_win_q[1:0], accept && completes};
      if (accept) begin
        f_nacc_q  <= f_nacc_q + 1'b1;
        f_phase_q <= (f_phase_q == 12'(HOP - 1)) ? '0 : f_phase_q + 12'd1;
        if (f_seen_q != 12'(N)) f_seen_q <= f_seen_q + 12'd1;
      end
    end
  end
  assign f_inflight = (QW+3)'(f_win_q[0]) + (QW+3)'(f_win_q[1]) + (QW+3)'(f_win_q[2]);
`endif

  // window sums and queue push
  logic          push;
  logic [SW-1:0] push_data;

  if (M == 1) begin : g_whole
    // one segment per window: the segment sums are the window sums
    logic          push_q;
    logic [SW-1:0] push_data_q;
    always_ff @(posedge clk_i) begin
      if (!rst_ni) push_q <= 1'b0;
      else         push_q <= seg_done;
      if (seg_done) push_data_q <= {seg1, seg2};
    end
    assign push      = push_q;
    assign push_data = push_data_q;
  end else begin : g_sliding
    // running sums over the last M segments: W += new - (segment leaving the window)
    localparam int MW = $clog2(M);
    logic [MW-1:0]      sidx_q, sidx_d_q;
    logic [MW:0]        nseg_q;    // segments seen, saturating at M
    logic               ev_q, evfull_q;
    logic [SW-1:0]      ev_data_q, old_data;
    logic signed [23:0] w1_q, w1_new;
    logic [33:0]        w2_q, w2_new;

    ecg_bnn_ram_sdp #(.DEPTH(1 << MW), .WIDTH(SW)) u_segs (
      .clk_i,
      .we_i(ev_q), .waddr_i(sidx_d_q), .wdata_i(ev_data_q), .wmask_i({SW{1'b1}}),
      .re_i(seg_done), .raddr_i(sidx_q), .rdata_o(old_data)
    );

    assign w1_new = w1_q + ev_data_q[SW-1:34] - (evfull_q ? old_data[SW-1:34] : 24'sd0);
    assign w2_new = w2_q + ev_data_q[33:0] - (evfull_q ? old_data[33:0] : 34'd0);

    always_ff @(posedge clk_i) begin
      if (!rst_ni) begin
        sidx_q <= '0;
        nseg_q <= '0;
        ev_q   <= 1'b0;
        w1_q   <= '0;
        w2_q   <= '0;
      end else begin
        ev_q <= seg_done;
        if (seg_done) begin
          sidx_q <= (sidx_q == MW'(M - 1)) ? '0 : sidx_q + 1'b1;
          if (nseg_q != (MW+1)'(M)) nseg_q <= nseg_q + 1'b1;
        end
        if (ev_q) begin
          w1_q <= w1_new;
          w2_q <= w2_new;
        end
      end
    end

    always_ff @(posedge clk_i) begin
      if (seg_done) begin
        sidx_d_q  <= sidx_q;
        evfull_q  <= (nseg_q == (MW+1)'(M));
        ev_data_q <= {seg1, seg2};
      end
    end

`ifdef ECG_BNN_CHECKS
    // segments counted at stage D: those whose last sample was accepted three cycles ago or more
    logic [11:0] f_nseg_ref;
    assign f_nseg_ref = (f_seen_d2_q / 12'(HOP) >= 12'(M)) ? 12'(M) : f_seen_d2_q / 12'(HOP);
`endif
    `ECG_BNN_ASSERT(SegCount, 12'(nseg_q) == f_nseg_ref)

    // a window completes at every segment end once M segments have been seen
    assign push      = ev_q && (nseg_q == (MW+1)'(M));
    assign push_data = {w1_new, w2_new};
  end

  // ---------------------------------------------------------------- window queue
  logic [SW-1:0] q_mem [QDEPTH];
  logic [QW-1:0] q_wr_q, q_rd_q;
  logic [QW:0]   q_cnt_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      q_wr_q  <= '0;
      q_rd_q  <= '0;
      q_cnt_q <= '0;
    end else begin
      if (push) q_wr_q <= (q_wr_q == QW'(QDEPTH - 1)) ? '0 : q_wr_q + 1'b1;
      if (win_pop_i) q_rd_q <= (q_rd_q == QW'(QDEPTH - 1)) ? '0 : q_rd_q + 1'b1;
      q_cnt_q <= q_cnt_q + (QW+1)'(push) - (QW+1)'(win_pop_i);
    end
  end

  always_ff @(posedge clk_i) begin
    if (push) q_mem[q_wr_q] <= push_data;
  end

  assign win_valid_o = (q_cnt_q != '0);
  assign win_s1_o    = q_mem[q_rd_q][SW-1:34];
  assign win_s2_o    = q_mem[q_rd_q][33:0];

  // ---------------------------------------------------------------- properties
  // window scheduling: the N-th accepted sample completes the first window, then every HOP-th
  `ECG_BNN_ASSERT(WindowEveryHop,
                  !accept || completes == (f_seen_q >= 12'(N - 1) && f_phase_q == 12'(HOP - 1)))
  `ECG_BNN_ASSERT(SegPhase, seg_cnt_q == f_phase_q)
  `ECG_BNN_ASSERT(RefCounts, f_seen_q <= 12'(N) && f_phase_q < 12'(HOP)
                  && (f_seen_q == 12'(N) || f_phase_q == f_seen_q % 12'(HOP)))
  `ECG_BNN_ASSERT(ToWindow, to_win_q == ((f_seen_q < 12'(N)) ? 12'(N - 1) - f_seen_q
                                                               : 12'(HOP - 1) - f_phase_q))
  // each completed window is pushed into the queue exactly once, three cycles later
  `ECG_BNN_ASSERT(PushPerWindow, push == f_win_q[2])
  `ECG_BNN_ASSERT(ReservedCount, (QW+3)'(reserved_q) == (QW+3)'(q_cnt_q) + f_inflight)
  // the window queue neither overflows nor underflows
  `ECG_BNN_ASSERT(QueueBound, q_cnt_q <= (QW+1)'(QDEPTH) && reserved_q <= (QW+1)'(QDEPTH))
  `ECG_BNN_ASSERT(QueueNoOverflow, !(push && !win_pop_i && q_cnt_q == (QW+1)'(QDEPTH)))
  `ECG_BNN_ASSERT(QueuePointers, q_wr_q == ((32'(q_rd_q) + 32'(q_cnt_q) >= QDEPTH)
                                          ? QW'(32'(q_rd_q) + 32'(q_cnt_q) - QDEPTH)
                                          : QW'(32'(q_rd_q) + 32'(q_cnt_q))))
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
  `ECG_BNN_ASSERT(ResetEmpty, !f_rst_q || (q_cnt_q == '0 && occ_q == '0 && !va_q && !vb_q))
  `ECG_BNN_COVER(QueueFull, q_cnt_q == (QW+1)'(QDEPTH))
  `ECG_BNN_COVER(ReadyFell, f_ready_q && !s_ready_o)
  `ECG_BNN_COVER(SecondWindow, push && f_seen_q == 12'(N) && q_cnt_q != '0)

endmodule

`default_nettype wire
