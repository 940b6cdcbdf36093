// engine_tb: formal wrapper of ecg_bnn_engine (default configuration): reset in the first
// cycle; the window buffer's handshake, constants and data and m_axis_tready are free inputs
// within the engine's assumptions. engine.sby cuts the ROM, RAM and multiplier contents free and turns the
// result unit's assumptions into assertions on the engine.
`default_nettype none

module engine_tb #(
  parameter int NUM_CLASSES = 5
) (
  input wire        clk_i,
  input wire        rst_ni,
  input wire        win_ready_i,
  input wire [27:0] win_s1_i,
  input wire [26:0] win_r_i,
  input wire [16:0] win_pad_i,
  input wire [2:0]  win_flags_i,
  input wire [15:0] xbuf_rdata_i,
  input wire        m_ready_i
);
  wire                         win_release_o, xbuf_re_o, m_valid_o, busy_o;
  wire [11:0]                  xbuf_raddr_o;
  wire [16+32*NUM_CLASSES-1:0] m_data_o;
  wire [2:0]                   layer_o;

  ecg_bnn_engine #(.NUM_CLASSES(NUM_CLASSES)) dut (
    .clk_i, .rst_ni, .win_ready_i, .win_s1_i, .win_r_i, .win_pad_i, .win_flags_i,
    .win_release_o, .xbuf_re_o, .xbuf_raddr_o, .xbuf_rdata_i, .m_data_o, .m_valid_o,
    .m_ready_i, .busy_o, .layer_o
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
endmodule

`default_nettype wire
