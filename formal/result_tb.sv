// result_tb: formal wrapper of ecg_bnn_result (its properties are in the RTL): reset in the first
// cycle; the engine's commands and the scores are free inputs within the module's assumptions.
`default_nettype none

module result_tb #(
  parameter int NUM_CLASSES = 2
) (
  input wire               clk_i,
  input wire               rst_ni,
  input wire               clear_i,
  input wire               calc_i,
  input wire signed [15:0] s_pos_i,
  input wire signed [15:0] s_neg_i,
  input wire               finish_i,
  input wire [2:0]         flags_i,
  input wire               m_ready_i
);
  wire                          busy_o, slot_free_o, m_valid_o;
  wire [16+32*NUM_CLASSES-1:0]  m_data_o;

  ecg_bnn_result #(.NUM_CLASSES(NUM_CLASSES)) dut (
    .clk_i, .rst_ni, .clear_i, .calc_i, .s_pos_i, .s_neg_i, .busy_o, .finish_i, .flags_i,
    .slot_free_o, .m_data_o, .m_valid_o, .m_ready_i
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
endmodule

`default_nettype wire
