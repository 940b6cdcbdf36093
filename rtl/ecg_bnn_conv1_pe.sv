// ecg_bnn_conv1_pe: one processing element of block 1 (raw samples, binary weights).
// Adds the 7 taps of the current conv window with the signs of the channel's weights:
//   acc1 = sum_k (w[k] ? +tap[k] : -tap[k])      (signed, ACC_W bits)
// in two register stages: the pair sums (the taps come straight from the window buffer's read
// data), then their sum; a negative tap's +1 (-tap = ~tap + 1) is an adder's carry-in.
// tap k is input position 2t-5+k: a signed 16-bit sample or, outside the window, the window's
// pad value P (signed 17 bits, supplied by the tap line); |acc1| <= 7 * 2^16 < 2^19.
// LATENCY states the two register stages for the pipeline that instantiates the PE
// (ecg_bnn_engine sums its stages' latencies into its drain); Conv1Latency checks it.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_conv1_pe #(
  parameter int X_W     = 17,
  parameter int ACC_W   = 20,
  parameter int LATENCY = 2   // cycles from valid_i to out_valid_o (must be 2)
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
    if (LATENCY != 2) $fatal(1, "ecg_bnn_conv1_pe: the sum has two register stages: LATENCY must be 2 (got %0d)", LATENCY);
  end

  // -tap = ~tap + 1: stage 1 adds the taps or their complements in pairs, stage 2 the four
  // pair sums. The seven +1s of the negative taps are carry-ins, one per adder (a + b + c is
  // ({a, 1} + {b, c}) >> 1: one carry chain), so no adder waits for a count of the weights.
  logic signed [ACC_W-1:0] term [7];
  always_comb begin
    for (int k = 0; k < 7; k++) begin
      term[k] = ACC_W'($signed(taps_i[k*X_W +: X_W]));
      if (!w_i[k]) term[k] = ~term[k];
    end
  end

  // bit 0 of each sum is the carry-in's helper bit: sum[ACC_W:1] = a + b + c
  logic signed [ACC_W-1:0] s01_q, s23_q, s45_q, s6_q;
  logic [2:0]              neg135_q;  // the +1s of taps 1, 3, 5, added in stage 2
  logic [ACC_W:0]          p01, p23, p45, p6, q0123, q456, q;
  assign p01   = {term[0], 1'b1} + {term[1], !w_i[0]};
  assign p23   = {term[2], 1'b1} + {term[3], !w_i[2]};
  assign p45   = {term[4], 1'b1} + {term[5], !w_i[4]};
  assign p6    = {term[6], 1'b1} + {ACC_W'(0), !w_i[6]};
  assign q0123 = {s01_q, 1'b1} + {s23_q, neg135_q[0]};
  assign q456  = {s45_q, 1'b1} + {s6_q, neg135_q[1]};
  assign q     = {q0123[ACC_W:1], 1'b1} + {q456[ACC_W:1], neg135_q[2]};
  logic v1_q, v_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      v1_q <= 1'b0;
      v_q  <= 1'b0;
    end else begin
      v1_q <= valid_i;
      v_q  <= v1_q;
    end
  end

  always_ff @(posedge clk_i) begin
    if (valid_i) begin
      s01_q    <= p01[ACC_W:1];
      s23_q    <= p23[ACC_W:1];
      s45_q    <= p45[ACC_W:1];
      s6_q     <= p6[ACC_W:1];
      neg135_q <= ~{w_i[5], w_i[3], w_i[1]};
    end
    if (v1_q) out_o <= q[ACC_W:1];
  end

  logic unused;
  assign unused = ^{p01[0], p23[0], p45[0], p6[0], q0123[0], q456[0], q[0]};

  assign out_valid_o = v_q;

  // ---------------------------------------------------------------- properties
  // a sum comes exactly LATENCY cycles after its taps, and only then
`ifdef ECG_BNN_CHECKS
  logic [LATENCY-1:0] f_valid_q;  // bit i: taps were taken i+1 cycles ago
  always @(posedge clk_i) f_valid_q <= rst_ni ? LATENCY'({f_valid_q, valid_i}) : '0;
`endif
  `ECG_BNN_ASSERT(Conv1Latency, out_valid_o == f_valid_q[LATENCY-1])
  // stage 1 holds exactly the taps taken a cycle ago (makes Conv1Latency inductive)
  `ECG_BNN_ASSERT(Conv1Stage1, v1_q == f_valid_q[0])

endmodule

`default_nettype wire
