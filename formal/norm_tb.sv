// norm_tb: formal wrapper of ecg_bnn_norm (N = 3600) with its square root and divider: reset in
// the first cycle; start and the window sums are free inputs.
`default_nettype none

module norm_tb (
  input wire               clk_i,
  input wire               rst_ni,
  input wire               start_i,
  input wire signed [27:0] s1_i,
  input wire [41:0]        s2_i,
  input wire [11:0]        k_i
);
  wire               busy_o, done_o;
  wire [26:0]        r_o;
  wire signed [16:0] pad_o;
  wire [2:0]         flags_o;

  ecg_bnn_norm #(.N(3600)) dut (
    .clk_i, .rst_ni, .start_i, .s1_i, .s2_i, .k_i, .busy_o, .done_o, .r_o, .pad_o, .flags_o
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
endmodule

`default_nettype wire
