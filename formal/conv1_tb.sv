// conv1_tb: formal wrapper of ecg_bnn_conv1_pe (its properties are in the RTL): free input
// positions, weights and window ends, reset in the first cycle. The unit's contract (the weights
// held for the 7 positions of every window) is its assumption Conv1WeightsSettled.
`default_nettype none

module conv1_tb #(
  parameter int X_W   = 17,
  parameter int ACC_W = 20
) (
  input wire           clk_i,
  input wire           rst_ni,
  input wire           shift_i,
  input wire           valid_i,
  input wire [X_W-1:0] x_i,
  input wire [6:0]     w_i
);
  wire             out_valid_o;
  wire [ACC_W-1:0] out_o;

  ecg_bnn_conv1_pe #(.X_W(X_W), .ACC_W(ACC_W)) dut (
    .clk_i, .rst_ni, .shift_i, .valid_i, .x_i, .w_i, .out_valid_o, .out_o
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
endmodule

`default_nettype wire
