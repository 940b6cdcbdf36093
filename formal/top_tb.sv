// top_tb: formal wrapper of ecg_bnn_top (default configuration): reset in the first cycle;
// s_axis and m_axis_tready are free inputs within the top's AXI4-Stream assumptions.
`default_nettype none

module top_tb (
  input wire        clk_i,
  input wire        rst_ni,
  input wire [15:0] s_axis_tdata,
  input wire        s_axis_tvalid,
  input wire        m_axis_tready
);
  wire                s_axis_tready, m_axis_tvalid, m_axis_tlast;
  wire [16+32*5-1:0]  m_axis_tdata;

  ecg_bnn_top dut (
    .clk_i, .rst_ni, .s_axis_tdata, .s_axis_tvalid, .s_axis_tready,
    .m_axis_tdata, .m_axis_tvalid, .m_axis_tready, .m_axis_tlast
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
endmodule

`default_nettype wire
