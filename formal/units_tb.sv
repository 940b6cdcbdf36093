// units_tb: the sequential units on their own, with free start pulses (a start while busy
// included): the normaliser's square-root and divider units (the parameters ecg_bnn_norm uses)
// and their start/busy/done controller ecg_bnn_seqctl alone at its smallest STEPS, so that the
// handshake properties are proven for any start pattern (units_prove) and a short cover trace
// reaches each one's done pulse (units_cover).
`default_nettype none

module units_tb (
  input wire               clk_i,
  input wire               rst_ni,
  input wire               root_start_i,
  input wire [53:0]        v_i,
  input wire               div_start_i,
  input wire signed [28:0] a_i,
  input wire               ctl_start_i
);
  wire               root_busy, root_done, div_busy, div_done;
  wire [26:0]        r;
  wire signed [16:0] q;
  wire               ctl_busy, ctl_last, ctl_done;
  wire [0:0]         ctl_left;

  ecg_bnn_isqrt #(.VW(54)) u_isqrt (
    .clk_i, .rst_ni, .start_i(root_start_i), .v_i, .busy_o(root_busy), .done_o(root_done),
    .r_o(r)
  );
  ecg_bnn_seqdiv #(.NW(29), .DIVISOR(3600), .QW(17)) u_div (
    .clk_i, .rst_ni, .start_i(div_start_i), .a_i, .busy_o(div_busy), .done_o(div_done), .q_o(q)
  );
  ecg_bnn_seqctl #(.STEPS(1)) u_ctl1 (
    .clk_i, .rst_ni, .start_i(ctl_start_i), .busy_o(ctl_busy), .last_o(ctl_last),
    .left_o(ctl_left), .done_o(ctl_done)
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
endmodule

`default_nettype wire
