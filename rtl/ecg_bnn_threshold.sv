// ecg_bnn_threshold: folded BatchNorm + PReLU + sign of one channel (docs/ARCHITECTURE.md):
//   bit = ((m >= hi) | (m <= lo)) ^ inv        (signed comparisons, THR_W bits)
// for the pooled value m = max v over a pool window of conv values v. The unit compares each
// conv value before the pool instead: it codes v as
//   code(v) = 2 if v >= hi, else 0 if v <= lo, else 1
// and the pool takes the max of the codes. code is non-decreasing in v (0, 1, 2 in that order
// along v whatever hi and lo are), so the max of the codes is the code of the max: the pool
// works on 2-bit codes instead of the conv values (20 bits in block 1), and the bit of a
// pooled code c is (c != 1) ^ inv, which is the predicate above (c = 2 iff m >= hi; c = 0 iff
// m <= lo and m < hi).
// The channel's word {inv, hi, lo} (thresholds.mem layout) is loaded with load_i; load_hi_i and
// load_lo_i load one field alone from the same port (block 1: ecg_bnn_thr_scale rescales the ROM
// word in place, reading it on thr_o).
// LATENCY states the code's one register stage for the pipeline that instantiates the unit
// (ecg_bnn_engine sums its stages' latencies into its drain); ThrLatency checks it. The bit of
// a pooled code is combinational (the pool's output is registered).
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_threshold #(
  parameter int W       = 20,  // conv value width (signed)
  parameter int THR_W   = 24,
  parameter int LATENCY = 1    // cycles from valid_i to out_valid_o (must be 1)
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                load_i,     // the whole word
  input  logic                load_hi_i,  // hi alone
  input  logic                load_lo_i,  // lo alone
  input  logic [2*THR_W:0]    thr_i,      // {inv, hi[THR_W-1:0], lo[THR_W-1:0]}
  output logic [2*THR_W:0]    thr_o,      // the stored word
  input  logic                valid_i,
  input  logic signed [W-1:0] m_i,        // a conv value
  output logic                out_valid_o,
  output logic [1:0]          code_o,     // its code (2: m >= hi, 0: m <= lo, 1: between)
  input  logic [1:0]          code_i,     // a pooled code (the max of a window's codes)
  output logic                bit_o       // its bit: (code_i != 1) ^ inv
);

  initial begin
    if (W > THR_W) $fatal(1, "ecg_bnn_threshold: W must not exceed THR_W");
    if (LATENCY != 1) $fatal(1, "ecg_bnn_threshold: the code is registered once: LATENCY must be 1 (got %0d)", LATENCY);
  end

  localparam logic [1:0] CODE_LO = 2'd0, CODE_MID = 2'd1, CODE_HI = 2'd2;

  // hi and lo are kept inverted (~t = -t - 1): each compare is then the sign of a sum of two
  // registers, m + ~hi = m - hi - 1 and m + ~lo = m - lo - 1, whose carry chains need no
  // inverter LUT per bit in front of them (the inversions fold into the load multiplexer)
  logic                    inv_q;
  logic signed [THR_W-1:0] hi_n_q, lo_n_q, m;
  logic signed [THR_W:0]   m_hi, m_lo;
  logic                    v_q;
  logic [1:0]              code_q;

  assign m    = THR_W'(m_i);
  assign m_hi = (THR_W+1)'(m) + (THR_W+1)'(hi_n_q) + (THR_W+1)'(1);  // m - hi: >= 0 when m >= hi
  assign m_lo = (THR_W+1)'(m) + (THR_W+1)'(lo_n_q);                  // m - lo - 1: < 0 when m <= lo

  always_ff @(posedge clk_i) begin
    if (load_i)              inv_q  <= thr_i[2*THR_W];
    if (load_i || load_hi_i) hi_n_q <= ~thr_i[2*THR_W-1:THR_W];
    if (load_i || load_lo_i) lo_n_q <= ~thr_i[THR_W-1:0];
    if (valid_i) code_q <= !m_hi[THR_W] ? CODE_HI : m_lo[THR_W] ? CODE_LO : CODE_MID;
  end

  logic unused;  // only the signs of the differences are used
  assign unused = ^{m_hi[THR_W-1:0], m_lo[THR_W-1:0]};

  always_ff @(posedge clk_i) begin
    if (!rst_ni) v_q <= 1'b0;
    else         v_q <= valid_i;
  end

  assign out_valid_o = v_q;
  assign code_o      = code_q;
  assign bit_o       = (code_i != CODE_MID) ^ inv_q;
  assign thr_o       = {inv_q, ~hi_n_q, ~lo_n_q};

  // ---------------------------------------------------------------- properties
  // a code comes exactly LATENCY cycles after its conv value, and only then; every code is
  // one of the three (the pool's max of codes stays a code)
`ifdef ECG_BNN_CHECKS
  logic [LATENCY-1:0] f_valid_q;  // bit i: a value was taken i+1 cycles ago
  always @(posedge clk_i) f_valid_q <= rst_ni ? LATENCY'({f_valid_q, valid_i}) : '0;
`endif
  `ECG_BNN_ASSERT(ThrLatency, out_valid_o == f_valid_q[LATENCY-1])
  `ECG_BNN_ASSERT(ThrCodeLegal, !out_valid_o || code_o != 2'd3)

endmodule

`default_nettype wire
