// ecg_bnn_conv1_pe: one processing element of block 1 (multi-bit Q8 input, binary weights).
// Adds the 7 taps of the current conv window with the signs of the channel's weights:
//   acc1 = sum_k (w[k] ? +tap[k] : -tap[k])      (signed, 18 bits; registered)
// tap k is input position 2t-5+k (padding is 256 = 1.0 in Q8, supplied by the tap line).
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_conv1_pe #(
  parameter int Z_W   = 16,
  parameter int ACC_W = 18
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    valid_i,
  input  logic [7*Z_W-1:0]        taps_i,  // tap k at [k*Z_W +: Z_W]
  input  logic [6:0]              w_i,     // weight bit k: 1 = +1, 0 = -1
  output logic                    out_valid_o,
  output logic signed [ACC_W-1:0] out_o
);

  logic signed [ACC_W-1:0] sum;
  always_comb begin
    sum = '0;
    for (int k = 0; k < 7; k++) begin
      if (w_i[k]) sum = sum + ACC_W'($signed(taps_i[k*Z_W +: Z_W]));
      else        sum = sum - ACC_W'($signed(taps_i[k*Z_W +: Z_W]));
    end
  end

  logic v_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) v_q <= 1'b0;
    else         v_q <= valid_i;
  end

  always_ff @(posedge clk_i) begin
    if (valid_i) out_o <= sum;
  end

  assign out_valid_o = v_q;

endmodule

`default_nettype wire
