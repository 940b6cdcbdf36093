// thr_scale_tb: formal wrapper of ecg_bnn_thr_scale: reset in the first cycle; start, the ROM
// word, the weights and the window constants are free inputs.
`default_nettype none

module thr_scale_tb (
  input wire        clk_i,
  input wire        rst_ni,
  input wire        start_i,
  input wire [48:0] thr_i,
  input wire [6:0]  w_i,
  input wire [27:0] s1_i,
  input wire [26:0] r_i
);
  wire        busy_o, done_o;
  wire [48:0] thr_o;

  ecg_bnn_thr_scale dut (
    .clk_i, .rst_ni, .start_i, .thr_i, .w_i, .s1_i, .r_i, .busy_o, .done_o, .thr_o
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
`ifdef THR_SCALE_COVER
  // cover task only: the FSM and the step counter alone decide when done comes, so one witness
  // with fixed operands shows it is reachable (free operands, read in place at every Horner
  // step, made the 205-step search take 15-40 minutes)
  always @(*) assume (thr_i == '0 && w_i == '0 && s1_i == '0 && r_i == '0);
`endif
endmodule

`default_nettype wire
