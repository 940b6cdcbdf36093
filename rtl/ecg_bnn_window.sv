// ecg_bnn_window: the window pass of the front end (docs/input_contract.md). Pops a completed
// window from the sample input, copies its N raw samples from the sample ring into the window
// buffer (one per cycle; a ring read yields to the sample writer, which has the port when
// ring_busy_i), and accumulates the window sums while they pass:
//   S1 = sum x (signed 28), S2 = sum x^2 (unsigned 42), K = samples at -32768 or 32767 (12 bits).
// S2's low 32 bits are one multiply-accumulate without enable (the operand is 0 when no sample
// passes, so it adds nothing), which Yosys maps whole into one SB_MAC16 (multiplier and 32-bit
// accumulator); its top 10 bits count the accumulator's wraps (each square is below 2^31, so a
// wrap is the top bit falling), a cycle later: the sums are final one cycle after the last
// sample's square is added.
// Then ecg_bnn_norm computes r = isqrt(N*S2 - S1^2), P = floor((S1 + r)/N) and the flags, and
// win_ready_o holds the buffer and the window constants until win_release_i; the next window is
// popped only then (one window buffer).
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_window #(
  parameter int N          = 3600,
  parameter int HOP        = 3600,
  parameter int RING_DEPTH = 16384,
  parameter int XDEPTH     = 4096,   // window buffer words (>= N)
  parameter int LOW_RMS    = 4,
  parameter int CLIP_MAX   = 36
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  // completed windows
  input  logic                          win_valid_i,
  output logic                          win_pop_o,
  output logic                          win_free_o,   // the window's first HOP samples are read
  // sample ring read port (shared with the sample writer, which has priority)
  input  logic                          ring_busy_i,  // the writer uses the port this cycle
  output logic                          ring_re_o,
  output logic [$clog2(RING_DEPTH)-1:0] ring_raddr_o,
  input  logic [15:0]                   ring_rdata_i,
  // window buffer write port
  output logic                          xbuf_we_o,
  output logic [$clog2(XDEPTH)-1:0]     xbuf_waddr_o,
  output logic [15:0]                   xbuf_wdata_o,
  // handshake with the engine
  output logic                          win_ready_o,  // the buffer holds a whole window
  output logic signed [27:0]            win_s1_o,     // its constants, valid with win_ready_o
  output logic [26:0]                   win_r_o,
  output logic signed [16:0]            win_pad_o,
  output logic [2:0]                    win_flags_o,  // {clipped, low, flat}
  input  logic                          win_release_i // the engine is done with the buffer
);

  localparam int RAW = $clog2(RING_DEPTH);
  localparam int XAW = $clog2(XDEPTH);

  initial begin
    if (XDEPTH < N) $fatal(1, "ecg_bnn_window: XDEPTH must be at least N");
    if (N < 2 || N >= 4096) $fatal(1, "ecg_bnn_window: N must lie in [2, 4095] (12-bit counts)");
  end

  typedef enum logic [2:0] {ST_IDLE, ST_COPY, ST_START, ST_NORM, ST_READY} state_e;
  state_e state_q;

  logic [RAW-1:0] rd_ptr_q;   // ring address of the next read
  logic [11:0]    rd_cnt_q;   // samples read so far
  logic           issue, norm_start, norm_busy, norm_done;

  assign win_pop_o  = (state_q == ST_IDLE) && win_valid_i;
  assign issue      = (state_q == ST_COPY) && (rd_cnt_q != 12'(N)) && !ring_busy_i;
  assign norm_start = (state_q == ST_START);

  // pipeline: P1 ring data (buffer write, S1, K, square), P2 the square (S2)
  logic               p1_q, p2_q, p3_q;
  logic [XAW-1:0]     idx1_q;
  logic               last1_q, last2_q, last3_q;
  logic signed [15:0] x2_q;      // the sample being squared (p2), 0 when none
  logic signed [31:0] sq2;       // its square, < 2^31
  logic [31:0]        s2_lo_q;   // S2 mod 2^32 (the DSP's accumulator)
  logic [9:0]         s2_hi_q;   // floor(S2 / 2^32): the accumulator's wraps
  logic               s2_msb_q;  // s2_lo_q's top bit a cycle earlier
  logic signed [27:0] s1_q;
  logic [41:0]        s2_q;
  logic [11:0]        k_q;
  logic               rail;

  assign rail = (ring_rdata_i == 16'h8000) || (ring_rdata_i == 16'h7fff);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q  <= ST_IDLE;
      rd_ptr_q <= '0;
      rd_cnt_q <= '0;
      p1_q     <= 1'b0;
      p2_q     <= 1'b0;
      p3_q     <= 1'b0;
    end else begin
      p1_q <= issue;
      p2_q <= p1_q;
      p3_q <= p2_q;
      case (state_q)
        ST_IDLE:  if (win_valid_i) state_q <= ST_COPY;
        ST_COPY: begin
          if (issue) begin
            rd_cnt_q <= rd_cnt_q + 12'd1;
            rd_ptr_q <= rd_ptr_q + 1'b1;
          end
          if (p3_q && last3_q) begin  // the sums are final
            state_q  <= ST_START;
            rd_cnt_q <= '0;
            // the next window starts HOP samples after this one's first: N - HOP back (for
            // HOP = N the pointer is already there: no subtractor)
            if (HOP != N) rd_ptr_q <= rd_ptr_q - RAW'(N - HOP);
          end
        end
        ST_START: state_q <= ST_NORM;
        ST_NORM:  if (norm_done) state_q <= ST_READY;
        ST_READY: if (win_release_i) state_q <= ST_IDLE;
        default:  state_q <= ST_IDLE;
      endcase
    end
  end

  // the sums: cleared when a window is popped, accumulated as its samples pass
  always_ff @(posedge clk_i) begin
    if (issue) begin
      idx1_q  <= XAW'(rd_cnt_q);
      last1_q <= (rd_cnt_q == 12'(N - 1));
    end
    if (p1_q) last2_q <= last1_q;
    if (p2_q) last3_q <= last2_q;
    if (!p1_q) x2_q <= '0;
    else       x2_q <= ring_rdata_i;
    if (win_pop_o) begin
      s1_q     <= '0;
      s2_lo_q  <= '0;
      s2_hi_q  <= '0;
      s2_msb_q <= 1'b0;
      k_q      <= '0;
    end else begin
      if (p1_q) begin
        s1_q <= s1_q + 28'($signed(ring_rdata_i));
        k_q  <= k_q + 12'(rail);
      end
      s2_lo_q  <= s2_lo_q + 32'(sq2);
      s2_msb_q <= s2_lo_q[31];
      if (s2_msb_q && !s2_lo_q[31]) s2_hi_q <= s2_hi_q + 10'd1;
    end
  end

  assign sq2  = x2_q * x2_q;
  assign s2_q = {s2_hi_q, s2_lo_q};

  ecg_bnn_norm #(.N(N), .LOW_RMS(LOW_RMS), .CLIP_MAX(CLIP_MAX)) u_norm (
    .clk_i, .rst_ni,
    .start_i(norm_start), .s1_i(s1_q), .s2_i(s2_q), .k_i(k_q),
    .busy_o(norm_busy), .done_o(norm_done),
    .r_o(win_r_o), .pad_o(win_pad_o), .flags_o(win_flags_o)
  );

  assign ring_re_o    = issue;
  assign ring_raddr_o = rd_ptr_q;
  assign xbuf_we_o    = p1_q;
  assign xbuf_waddr_o = idx1_q;
  assign xbuf_wdata_o = ring_rdata_i;
  assign win_free_o   = p2_q && last2_q;
  assign win_ready_o  = (state_q == ST_READY);
  assign win_s1_o     = s1_q;

  // x*x <= 2^30: the product's top bit is always zero; norm_busy is implied by state_q
  logic unused;
  assign unused = ^{norm_busy};

  // ---------------------------------------------------------------- properties
  // One window at a time: popped only while idle, its N samples written in order (addresses
  // 0..N-1, each once), then held (win_ready_o) until the engine releases it.
`ifdef ECG_BNN_CHECKS
  logic           f_rst_q;
  logic [XAW:0]   f_widx_q;   // samples written for the current window
  logic [RAW-1:0] f_base_q;   // ring address of window k's first sample: k*HOP
  logic           f_held_q;   // the window was ready and not released in the last cycle
  logic [74:0]    f_consts_q; // the window constants in the last cycle
  logic           f_sums_q;   // the sums were final (ST_START, ST_NORM) in the last cycle
  logic [69:0]    f_s12_q;    // S1, S2 in the last cycle
  always @(posedge clk_i) begin
    f_rst_q <= !rst_ni;
    if (!rst_ni || win_pop_o) f_widx_q <= '0;
    else if (xbuf_we_o)      f_widx_q <= f_widx_q + 1'b1;
    if (!rst_ni)                f_base_q <= '0;
    else if (p3_q && last3_q)  f_base_q <= f_base_q + RAW'(HOP);
    f_held_q   <= rst_ni && win_ready_o && !win_release_i;
    f_consts_q <= {win_s1_o, win_r_o, win_pad_o, win_flags_o};
    f_sums_q   <= rst_ni && (state_q == ST_START || state_q == ST_NORM);
    f_s12_q    <= {s1_q, s2_q};
  end
`endif
  `ECG_BNN_ASSERT(WinPipeOnlyInCopy, state_q == ST_COPY || (!p1_q && !p2_q && !p3_q))
  `ECG_BNN_ASSERT(WinPipeCount, state_q != ST_COPY
                  || 32'(rd_cnt_q) == 32'(f_widx_q) + 32'(p1_q))
  `ECG_BNN_ASSERT(WinPipeIdx1, !p1_q || 32'(idx1_q) == 32'(f_widx_q))
  `ECG_BNN_ASSERT(WinLastFlag, !p1_q || last1_q == (32'(idx1_q) == N - 1))
  `ECG_BNN_ASSERT(WinLast2, !p2_q || last2_q == (32'(f_widx_q) == N))
  `ECG_BNN_ASSERT(WinLast3, !(p3_q && last3_q) || 32'(f_widx_q) == N)
  `ECG_BNN_ASSERT(WinNoneBeforeCopy, state_q == ST_COPY || rd_cnt_q == '0)
  `ECG_BNN_ASSUME(WinReleaseOnlyReady, !win_release_i || win_ready_o)
  // S2's accumulator adds the square every cycle and relies on 0 * 0 = 0 between samples: the
  // proofs cut the multiplier free (t:$mul), so they must be told (simulation checks it)
  `ECG_BNN_ASSUME(WinSquareOfZero, x2_q != '0 || sq2 == '0)
  `ECG_BNN_ASSERT(WinPopOnlyWaiting, !win_pop_o || win_valid_i)
  `ECG_BNN_ASSERT(WinIdleAfterReset, !f_rst_q || (state_q == ST_IDLE && !p1_q && !p2_q && !p3_q))
  `ECG_BNN_ASSERT(WinWriteInOrder, !xbuf_we_o || ({1'b0, xbuf_waddr_o} == f_widx_q
                                                   && state_q == ST_COPY))
  `ECG_BNN_ASSERT(WinReadCount, rd_cnt_q <= 12'(N))
  // the n-th read of window k is ring address k*HOP + n
  `ECG_BNN_ASSERT(WinReadAddress, ring_raddr_o == RAW'(f_base_q + RAW'(rd_cnt_q)))  // mod RING_DEPTH
  `ECG_BNN_ASSERT(WinFullWindow, state_q == ST_IDLE || state_q == ST_COPY
                  || f_widx_q == (XAW+1)'(N))
  `ECG_BNN_ASSERT(WinNoWriteWhileReady, !(win_ready_o && xbuf_we_o))
  // a ready window stays ready, its constants unchanged, until the engine releases it
  `ECG_BNN_ASSERT(WinReadyHeld, !f_held_q || win_ready_o)
  // norm runs only while the pass waits for it, so it cannot overwrite a ready window's constants
  `ECG_BNN_ASSERT(WinNormOnlyInNorm, !norm_busy || state_q == ST_NORM)
  // ... and reads the sums in place: they stay as they were at its start until it is done
  `ECG_BNN_ASSERT(WinSumsHeld, !(f_sums_q && state_q == ST_NORM) || {s1_q, s2_q} == f_s12_q)
  `ECG_BNN_ASSERT(WinConstHeld, !f_held_q
                  || {win_s1_o, win_r_o, win_pad_o, win_flags_o} == f_consts_q)
  `ECG_BNN_COVER(WinReleased, win_ready_o && win_release_i)
  `ECG_BNN_COVER(WinCopyStalled, state_q == ST_COPY && ring_busy_i && rd_cnt_q != '0)

endmodule

`default_nettype wire
