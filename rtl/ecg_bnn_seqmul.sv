// ecg_bnn_seqmul: sequential signed x signed multiplier, one multiplier bit per cycle
// (shift-and-add, the multiplier's sign bit is subtracted). WB cycles per product; about
// WA+WB flip-flops and one WA+1-bit adder, no DSP block. The start/busy/done handshake is
// ecg_bnn_seqctl's (operands latched at a taken start).
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_seqmul #(
  parameter int WA = 16,  // multiplicand width (signed)
  parameter int WB = 16   // multiplier width (signed), = cycles per product
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  start_i,  // ignored while busy_o
  input  logic signed [WA-1:0]  a_i,
  input  logic signed [WB-1:0]  b_i,
  output logic                  busy_o,
  output logic                  done_o,   // one-cycle pulse; p_o valid from then until next start
  output logic signed [WA+WB-1:0] p_o
);

  initial begin
    if (WA < 2 || WB < 2) $fatal(1, "ecg_bnn_seqmul: WA and WB must be at least 2");
  end

  localparam int CW = $clog2(WB + 1);

  logic signed [WA-1:0] a_q;
  logic signed [WA:0]   hi_q;
  logic [WB-1:0]        lo_q;
  logic                 busy, last, done;
  logic [CW-1:0]        left;

  // WB steps, one multiplier bit each; the last (the sign bit, weight -2^(WB-1)) subtracts
  ecg_bnn_seqctl #(.STEPS(WB)) u_ctl (
    .clk_i, .rst_ni, .start_i, .busy_o(busy), .last_o(last), .left_o(left),
    .done_o(done)
  );

  logic signed [WA:0] addend, sum;
  assign addend = lo_q[0] ? {a_q[WA-1], a_q} : '0;
  assign sum    = last ? hi_q - addend : hi_q + addend;

  always_ff @(posedge clk_i) begin
    if (busy) begin
      hi_q <= {sum[WA], sum[WA:1]};
      lo_q <= {sum[0], lo_q[WB-1:1]};
    end else if (start_i) begin  // a start taken while idle: latch the operands
      a_q  <= a_i;
      hi_q <= '0;
      lo_q <= b_i;
    end
  end

  assign busy_o = busy;
  assign done_o = done;
  assign p_o    = {hi_q[WA-1:0], lo_q};

  logic unused;
  assign unused = ^{left};

endmodule

`default_nettype wire
