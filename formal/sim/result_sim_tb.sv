// result_sim_tb: shows that the assertion macros end a simulation (Icarus and Verilator) on a
// violation and stay silent on a clean run. ecg_bnn_result with two classes: a finished window
// is stalled on m_axis, then taken. +mode=0 clean; +mode=1 the engine side breaks its contract
// (a second finish while the slot is full: assumption ResFinishWhenFree); +mode=2 the slot's
// valid is forced low under the stall (assertion ResValidHeld).
`default_nettype none
`timescale 1ns / 1ps

module result_sim_tb;
  logic                clk_i = 1'b0, rst_ni = 1'b0;
  logic                clear_i = 1'b0, calc_i = 1'b0, finish_i = 1'b0, m_ready_i = 1'b0;
  logic                busy_o, slot_free_o, m_valid_o;
  logic [16+32*2-1:0]  m_data_o;
  integer              mode;

  ecg_bnn_result #(.NUM_CLASSES(2)) dut (
    .clk_i, .rst_ni, .clear_i, .calc_i, .s_pos_i(16'sd0), .s_neg_i(16'sd0), .coef_re_o(),
    .coef_i(64'd0), .busy_o,
    .finish_i, .flags_i(3'b001), .slot_free_o, .m_data_o, .m_valid_o, .m_ready_i
  );

  always #5 clk_i = !clk_i;

  initial begin
    if (!$value$plusargs("mode=%d", mode)) mode = 0;
    repeat (3) @(posedge clk_i);
    rst_ni <= 1'b1;
    @(posedge clk_i);
    finish_i <= 1'b1;
    @(posedge clk_i);
    finish_i <= 1'b0;
    repeat (4) @(posedge clk_i);
    if (mode == 1) finish_i <= 1'b1;
    if (mode == 2) force dut.valid_q = 1'b0;
    @(posedge clk_i);
    finish_i <= 1'b0;
    m_ready_i <= 1'b1;
    repeat (3) @(posedge clk_i);
    if (m_valid_o) $fatal(1, "result_sim_tb: the result was not taken");
    $display("result_sim_tb: PASS");
    $finish;
  end
endmodule

`default_nettype wire
