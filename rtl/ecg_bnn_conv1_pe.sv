// ecg_bnn_conv1_pe: one processing element of block 1 (raw samples, binary weights).
// Adds the 7 taps of the current conv window with the signs of the channel's weights:
//   acc1 = sum_k (w[k] ? +tap[k] : -tap[k])      (signed, ACC_W bits; registered)
// tap k is input position 2t-5+k: a signed 16-bit sample or, outside the window, the window's
// pad value P (signed 17 bits, supplied by the tap line); |acc1| <= 7 * 2^16 < 2^19.
// LATENCY states the one register stage for the pipeline that instantiates the PE
// (ecg_bnn_engine sums its stages' latencies into its drain); Conv1Latency checks it.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_conv1_pe #(
  parameter int X_W     = 17,
  parameter int ACC_W   = 20,
  parameter int LATENCY = 1   // cycles from valid_i to out_valid_o (must be 1)
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    valid_i,
  input  logic [7*X_W-1:0]        taps_i,  // tap k at [k*X_W +: X_W]
  input  logic [6:0]              w_i,     // weight bit k: 1 = +1, 0 = -1
  output logic                    out_valid_o,
  output logic signed [ACC_W-1:0] out_o
);

  initial begin
    if (ACC_W < X_W + 3) $fatal(1, "ecg_bnn_conv1_pe: ACC_W must hold 7 taps (>= X_W + 3)");
    if (LATENCY != 1) $fatal(1, "ecg_bnn_conv1_pe: the sum is registered once: LATENCY must be 1 (got %0d)", LATENCY);
  end

  // -tap = ~tap + 1: add the taps or their complements in a balanced tree (three adder levels
  // instead of a chain of seven) plus the number of negative weights
  logic signed [ACC_W-1:0] term [7];
  logic signed [ACC_W-1:0] s01, s23, s45, s0123, s456, sum;
  logic [2:0]              nneg;
  always_comb begin
    nneg = '0;
    for (int k = 0; k < 7; k++) begin
      term[k] = ACC_W'($signed(taps_i[k*X_W +: X_W]));
      if (!w_i[k]) begin
        term[k] = ~term[k];
        nneg    = nneg + 3'd1;
      end
    end
  end
  assign s01   = term[0] + term[1];
  assign s23   = term[2] + term[3];
  assign s45   = term[4] + term[5];
  assign s0123 = s01 + s23;
  assign s456  = s45 + (term[6] + ACC_W'(nneg));
  assign sum   = s0123 + s456;

  logic v_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) v_q <= 1'b0;
    else         v_q <= valid_i;
  end

  always_ff @(posedge clk_i) begin
    if (valid_i) out_o <= sum;
  end

  assign out_valid_o = v_q;

  // ---------------------------------------------------------------- properties
  // a sum comes exactly LATENCY cycles after its taps, and only then
`ifdef ECG_BNN_CHECKS
  logic [LATENCY-1:0] f_valid_q;  // bit i: taps were taken i+1 cycles ago
  always @(posedge clk_i) f_valid_q <= rst_ni ? LATENCY'({f_valid_q, valid_i}) : '0;
`endif
  `ECG_BNN_ASSERT(Conv1Latency, out_valid_o == f_valid_q[LATENCY-1])

endmodule

`default_nettype wire
