// units_tb: the normaliser's square-root and reciprocal units on their own (the parameters
// ecg_bnn_norm uses), so that a short cover trace reaches each one's done pulse.
`default_nettype none

module units_tb (
  input wire        clk_i,
  input wire        rst_ni,
  input wire        root_start_i,
  input wire [45:0] v_i,
  input wire        recip_start_i,
  input wire [22:0] d_i
);
  wire        root_busy, root_done, recip_busy, recip_done;
  wire [22:0] r;
  wire [26:0] q;

  ecg_bnn_isqrt #(.VW(46)) u_isqrt (
    .clk_i, .rst_ni, .start_i(root_start_i), .v_i, .busy_o(root_busy), .done_o(root_done),
    .r_o(r)
  );
  ecg_bnn_recip #(.DW(23), .NUM_SHIFT(32), .QW(27)) u_recip (
    .clk_i, .rst_ni, .start_i(recip_start_i), .d_i, .busy_o(recip_busy), .done_o(recip_done),
    .q_o(q)
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
endmodule

`default_nettype wire
