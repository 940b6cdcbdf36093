// ecg_bnn_xnor_pe: one processing element of the binary convolution (blocks 2-6): XNOR of SIMD
// activation bits with SIMD weight bits, masked (unused bits of a row's last chunk), popcount,
// and accumulation over the chunks of one conv output. Three pipeline stages:
//   stage 1: agree = ~(act ^ w) & mask                  (registered: the engine's activation and
//            row-buffer shifters, behind the RAM reads, end here)
//   stage 2: pc = popcount(agree)                       (registered)
//   stage 3: acc = first ? pc : acc + pc; on last, out_o = acc (registered, out_valid_o)
// LATENCY states the three stages for the pipeline that instantiates the PE (ecg_bnn_engine sums
// its stages' latencies into its drain); XnorLatency checks it against the stages.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_xnor_pe #(
  parameter int SIMD    = 16,  // bits per cycle
  parameter int ACC_W   = 9,   // conv popcount width (7*C_in <= 448)
  parameter int LATENCY = 3    // cycles from valid_i with last_i to out_valid_o (must be 3)
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             valid_i,
  input  logic             first_i,  // first chunk of a conv output
  input  logic             last_i,   // last chunk of a conv output
  input  logic [SIMD-1:0]  act_i,
  input  logic [SIMD-1:0]  w_i,
  input  logic [SIMD-1:0]  mask_i,
  output logic             out_valid_o,
  output logic [ACC_W-1:0] out_o
);

  localparam int PCW = $clog2(SIMD + 1);

  initial begin
    if (SIMD < 1 || PCW > ACC_W) $fatal(1, "ecg_bnn_xnor_pe: SIMD must lie in [1, 2^ACC_W)");
    if (LATENCY != 3) $fatal(1, "ecg_bnn_xnor_pe: the PE has three stages: LATENCY must be 3 (got %0d)", LATENCY);
  end

  // stage 1: the agreeing bits
  logic            v0_q, first0_q, last0_q;
  logic [SIMD-1:0] agree_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) v0_q <= 1'b0;
    else         v0_q <= valid_i;
  end

  always_ff @(posedge clk_i) begin
    if (valid_i) begin
      agree_q  <= ~(act_i ^ w_i) & mask_i;
      first0_q <= first_i;
      last0_q  <= last_i;
    end
  end

  // stage 2: their count
  logic [PCW-1:0] pc;
  always_comb begin
    pc = '0;
    for (int i = 0; i < SIMD; i++) pc = pc + PCW'(agree_q[i]);
  end

  // stage 3: the sum over the chunks
  logic             v1_q, first1_q, last1_q, v2_q;
  logic [PCW-1:0]   pc_q;
  logic [ACC_W-1:0] acc_q, sum, out_q;

  // the first chunk's choice after the adder, not in front of it: it folds into the adder's
  // LUTs (acc ^ pc ^ carry or pc), where a gated operand needs a LUT per bit of its own
  assign sum = first1_q ? ACC_W'(pc_q) : acc_q + ACC_W'(pc_q);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      v1_q <= 1'b0;
      v2_q <= 1'b0;
    end else begin
      v1_q <= v0_q;
      v2_q <= v1_q && last1_q;
    end
  end

  always_ff @(posedge clk_i) begin
    if (v0_q) begin
      pc_q     <= pc;
      first1_q <= first0_q;
      last1_q  <= last0_q;
    end
    if (v1_q) acc_q <= sum;
    if (v1_q && last1_q) out_q <= sum;
  end

  assign out_valid_o = v2_q;
  assign out_o       = out_q;

  // ---------------------------------------------------------------- properties
  // a result comes exactly LATENCY cycles after the last chunk of its conv output, and only then
`ifdef ECG_BNN_CHECKS
  logic [LATENCY-1:0] f_last_q;  // bit i: a last chunk was taken i+1 cycles ago
  always @(posedge clk_i) f_last_q <= rst_ni ? LATENCY'({f_last_q, valid_i && last_i}) : '0;
`endif
  `ECG_BNN_ASSERT(XnorLatency, out_valid_o == f_last_q[LATENCY-1])
  // the stages hold exactly the last chunks taken 1 and 2 cycles ago (makes XnorLatency inductive)
  `ECG_BNN_ASSERT(XnorStages, f_last_q[0] == (v0_q && last0_q) && f_last_q[1] == (v1_q && last1_q))

endmodule

`default_nettype wire
