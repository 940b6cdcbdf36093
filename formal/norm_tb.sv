// norm_tb: formal wrapper of ecg_bnn_norm (N = 3600) with its isqrt, reciprocal and sequential
// multiplier: reset in the first cycle; start and the window sums are free inputs.
`default_nettype none

module norm_tb (
  input wire               clk_i,
  input wire               rst_ni,
  input wire               start_i,
  input wire signed [23:0] s1_i,
  input wire [33:0]        s2_i
);
  wire        busy_o, done_o, flat_o;
  wire [26:0] g_o;

  ecg_bnn_norm #(.N(3600)) dut (
    .clk_i, .rst_ni, .start_i, .s1_i, .s2_i, .busy_o, .done_o, .g_o, .flat_o
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
endmodule

`default_nettype wire
