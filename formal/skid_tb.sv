// skid_tb: formal wrapper of ecg_bnn_skid (its properties and scoreboard are in the RTL):
// reset in the first cycle.
`default_nettype none

module skid_tb #(
  parameter int WIDTH = 8
) (
  input wire             clk_i,
  input wire             rst_ni,
  input wire [WIDTH-1:0] s_data_i,
  input wire             s_valid_i,
  input wire             m_ready_i
);
  wire             s_ready_o, m_valid_o;
  wire [WIDTH-1:0] m_data_o;

  ecg_bnn_skid #(.WIDTH(WIDTH)) dut (
    .clk_i, .rst_ni, .s_data_i, .s_valid_i, .s_ready_o, .m_data_o, .m_valid_o, .m_ready_i
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
endmodule

`default_nettype wire
