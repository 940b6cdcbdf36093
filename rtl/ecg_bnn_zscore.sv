// ecg_bnn_zscore: the normalisation front end's control and z pass. Pops a completed window's
// sums {S1, S2} from the sample-input queue, runs ecg_bnn_norm (V, flat, isqrt, G), then streams
// the window's N samples from the sample ring and writes
//   z_i = ((N*x_i - S1) * G + 2^23) >>> 24      (round half up, signed Q8, 16 bits)
// into the z buffer, one sample per cycle (ring reads yield to ring writes). When the z buffer
// is full it raises zready_o (with the window's flat flag) until the engine releases it with
// zrelease_i; the next window is normalised only then (single z buffer).
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_zscore #(
  parameter int N          = 3600,
  parameter int HOP        = 3600,
  parameter int RING_DEPTH = 16384,
  parameter int ZDEPTH     = 4096   // z buffer words (>= N)
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  // completed windows
  input  logic                          win_valid_i,
  input  logic signed [23:0]            win_s1_i,
  input  logic [33:0]                   win_s2_i,
  output logic                          win_pop_o,
  output logic                          win_free_o,   // the window's first HOP samples are read
  // sample ring read port (shared with the sample writer, which has priority)
  input  logic                          ring_busy_i,  // the writer uses the port this cycle
  output logic                          ring_re_o,
  output logic [$clog2(RING_DEPTH)-1:0] ring_raddr_o,
  input  logic [15:0]                   ring_rdata_i,
  // z buffer write port
  output logic                          zbuf_we_o,
  output logic [$clog2(ZDEPTH)-1:0]     zbuf_waddr_o,
  output logic [15:0]                   zbuf_wdata_o,
  // handshake with the engine
  output logic                          zready_o,     // z buffer holds a whole window
  output logic                          zflat_o,      // ... and it was a flat line (V == 0)
  input  logic                          zrelease_i    // engine is done with the z buffer
);

  localparam int RAW = $clog2(RING_DEPTH);
  localparam int ZAW = $clog2(ZDEPTH);

  initial begin
    if (ZDEPTH < N) $fatal(1, "ecg_bnn_zscore: ZDEPTH must be at least N");
    if (N >= 4096) $fatal(1, "ecg_bnn_zscore: N must be below 4096");
  end

  // d = N*x - S1 with N*x as a sum of shifted copies (no multiplier cell)
  function automatic logic signed [24:0] dev(input logic signed [11:0] x,
                                             input logic signed [23:0] s1);
    logic signed [24:0] acc;
    acc = '0;
    for (int i = 0; i < 12; i++) begin
      if (((N >> i) & 1) == 1) acc = acc + (25'(x) <<< i);
    end
    dev = acc - 25'(s1);
  endfunction

  typedef enum logic [1:0] {ST_IDLE, ST_NORM, ST_PASS, ST_FULL} state_e;
  state_e state_q;

  logic signed [23:0] s1_q;
  logic [RAW-1:0]     base_q;     // ring address of the window's first sample
  logic [11:0]        rd_cnt_q;   // samples read so far
  logic               norm_start, norm_done, norm_flat, norm_busy;
  logic [26:0]        norm_g;
  logic               flat_q;
  logic               issue;

  assign norm_start = (state_q == ST_IDLE) && win_valid_i;
  assign win_pop_o  = norm_start;
  assign issue      = (state_q == ST_PASS) && (rd_cnt_q != 12'(N)) && !ring_busy_i;

  ecg_bnn_norm #(.N(N)) u_norm (
    .clk_i, .rst_ni,
    .start_i(norm_start), .s1_i(win_s1_i), .s2_i(win_s2_i),
    .busy_o(norm_busy), .done_o(norm_done), .g_o(norm_g), .flat_o(norm_flat)
  );

  // pipeline: P1 ring data, P2 deviation d, P3 product, then the z buffer write
  logic               p1_q, p2_q, p3_q;
  logic [ZAW-1:0]     idx1_q, idx2_q, idx3_q;
  logic signed [24:0] d2_q;
  logic signed [52:0] prod3_q;
  logic               last_write;

  assign last_write = p3_q && (idx3_q == ZAW'(N - 1));

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q  <= ST_IDLE;
      base_q   <= '0;
      rd_cnt_q <= '0;
      p1_q     <= 1'b0;
      p2_q     <= 1'b0;
      p3_q     <= 1'b0;
    end else begin
      p1_q <= issue;
      p2_q <= p1_q;
      p3_q <= p2_q;
      case (state_q)
        ST_IDLE: if (win_valid_i) state_q <= ST_NORM;
        ST_NORM: begin
          if (norm_done) begin
            state_q  <= ST_PASS;
            rd_cnt_q <= '0;
          end
        end
        ST_PASS: begin
          if (issue) rd_cnt_q <= rd_cnt_q + 12'd1;
          if (last_write) begin
            state_q <= ST_FULL;
            base_q  <= base_q + RAW'(HOP);
          end
        end
        ST_FULL: if (zrelease_i) state_q <= ST_IDLE;
        default: state_q <= ST_IDLE;
      endcase
    end
  end

  always_ff @(posedge clk_i) begin
    if (norm_start) s1_q <= win_s1_i;
    if (state_q == ST_NORM && norm_done) flat_q <= norm_flat;
    if (issue) idx1_q <= ZAW'(rd_cnt_q);
    if (p1_q) begin
      idx2_q <= idx1_q;
      d2_q   <= dev(ring_rdata_i[11:0], s1_q);
    end
    if (p2_q) begin
      idx3_q  <= idx2_q;
      prod3_q <= 53'(d2_q) * 53'($signed({1'b0, norm_g}));
    end
  end

  assign ring_re_o    = issue;
  assign ring_raddr_o = base_q + RAW'(rd_cnt_q);
  assign zbuf_we_o    = p3_q;
  assign zbuf_waddr_o = idx3_q;
  // (p + 2^23) >>> 24 = p[39:24] + p[23]: round half up with a 16-bit increment
  assign zbuf_wdata_o = prod3_q[39:24] + 16'(prod3_q[23]);
  assign win_free_o   = last_write;
  assign zready_o     = (state_q == ST_FULL);
  assign zflat_o      = flat_q;

  // |z| < 2^14, so the rounded product's top bits only repeat its sign; the ring holds sign-extended
  // 12-bit samples; norm_busy is implied by state_q.
  logic unused;
  assign unused = ^{prod3_q[52:40], prod3_q[22:0], ring_rdata_i[15:12], norm_busy};

  // ---------------------------------------------------------------- properties
  // One window at a time: popped from the queue only while idle, its N z values written in order
  // (addresses 0..N-1, each once), then held (zready_o) until the engine releases it.
`ifdef ECG_BNN_CHECKS
  logic           f_rst_q;
  logic [ZAW:0]   f_zidx_q;   // z values written for the current window
  always @(posedge clk_i) begin
    f_rst_q <= !rst_ni;
    if (!rst_ni || (zready_o && zrelease_i)) f_zidx_q <= '0;
    else if (zbuf_we_o)                f_zidx_q <= f_zidx_q + 1'b1;
  end
`endif
`ifdef ECG_BNN_CHECKS
  logic [31:0] f_inflight;   // reads issued, z value not yet written
  assign f_inflight = 32'(p1_q) + 32'(p2_q) + 32'(p3_q);
`endif
  `ECG_BNN_ASSERT(ZPipeOnlyInPass, state_q == ST_PASS || (!p1_q && !p2_q && !p3_q))
  `ECG_BNN_ASSERT(ZPipeCount, state_q != ST_PASS || 32'(rd_cnt_q) == 32'(f_zidx_q) + f_inflight)
  `ECG_BNN_ASSERT(ZPipeIdx3, !p3_q || 32'(idx3_q) == 32'(f_zidx_q))
  `ECG_BNN_ASSERT(ZPipeIdx2, !p2_q || 32'(idx2_q) == 32'(f_zidx_q) + 32'(p3_q))
  `ECG_BNN_ASSERT(ZPipeIdx1, !p1_q || 32'(idx1_q) == 32'(f_zidx_q) + 32'(p3_q) + 32'(p2_q))
  `ECG_BNN_ASSERT(ZNoneBeforePass, state_q == ST_PASS || state_q == ST_FULL || f_zidx_q == '0)
  `ECG_BNN_ASSUME(ZReleaseOnlyFull, !zrelease_i || zready_o)
  `ECG_BNN_ASSERT(ZPopOnlyWaiting, !win_pop_o || win_valid_i)
  `ECG_BNN_ASSERT(ZIdleAfterReset, !f_rst_q || (state_q == ST_IDLE && !p1_q && !p2_q && !p3_q))
  `ECG_BNN_ASSERT(ZWriteInOrder, !zbuf_we_o || ({1'b0, zbuf_waddr_o} == f_zidx_q && state_q == ST_PASS))
  `ECG_BNN_ASSERT(ZReadCount, rd_cnt_q <= 12'(N))
  `ECG_BNN_ASSERT(ZFullWindow, !zready_o || f_zidx_q == (ZAW+1)'(N))
  `ECG_BNN_ASSERT(ZNoWriteWhileReady, !(zready_o && zbuf_we_o))
  `ECG_BNN_COVER(ZReleased, zready_o && zrelease_i)
  `ECG_BNN_COVER(ZWriteStalled, state_q == ST_PASS && ring_busy_i && rd_cnt_q != '0)

endmodule

`default_nettype wire
