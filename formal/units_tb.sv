// units_tb: the normaliser's square-root and divider units on their own (the parameters
// ecg_bnn_norm uses), so that a short cover trace reaches each one's done pulse.
`default_nettype none

module units_tb (
  input wire               clk_i,
  input wire               rst_ni,
  input wire               root_start_i,
  input wire [53:0]        v_i,
  input wire               div_start_i,
  input wire signed [28:0] a_i
);
  wire               root_busy, root_done, div_busy, div_done;
  wire [26:0]        r;
  wire signed [16:0] q;

  ecg_bnn_isqrt #(.VW(54)) u_isqrt (
    .clk_i, .rst_ni, .start_i(root_start_i), .v_i, .busy_o(root_busy), .done_o(root_done),
    .r_o(r)
  );
  ecg_bnn_seqdiv #(.NW(29), .DIVISOR(3600), .QW(17)) u_div (
    .clk_i, .rst_ni, .start_i(div_start_i), .a_i, .busy_o(div_busy), .done_o(div_done), .q_o(q)
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
endmodule

`default_nettype wire
