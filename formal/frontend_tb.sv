// frontend_tb: formal wrapper of ecg_bnn_frontend (sample input, ring, window pass) with a short
// window: reset in the first cycle; the stream and the engine's release are free inputs. The
// normalisation unit (ecg_bnn_norm) is cut to a free, nondeterministic-latency stub in
// frontend.sby, and the sample input's assumptions on the window side become assertions.
`default_nettype none

module frontend_tb #(
  parameter int N          = 4,
  parameter int HOP        = 4,
  parameter int RING_DEPTH = 8,
  parameter int QDEPTH     = 2,
  parameter int XDEPTH     = 4
) (
  input wire        clk_i,
  input wire        rst_ni,
  input wire [15:0] s_data_i,
  input wire        s_valid_i,
  input wire        win_release_i
);
  localparam int XAW = $clog2(XDEPTH);
  wire               s_ready_o, xbuf_we_o, win_ready_o;
  wire [XAW-1:0]     xbuf_waddr_o;
  wire [15:0]        xbuf_wdata_o;
  wire signed [27:0] win_s1_o;
  wire [26:0]        win_r_o;
  wire signed [16:0] win_pad_o;
  wire [2:0]         win_flags_o;

  ecg_bnn_frontend #(
    .N(N), .HOP(HOP), .RING_DEPTH(RING_DEPTH), .QDEPTH(QDEPTH), .XDEPTH(XDEPTH)
  ) dut (
    .clk_i, .rst_ni, .s_data_i, .s_valid_i, .s_ready_o,
    .xbuf_we_o, .xbuf_waddr_o, .xbuf_wdata_o,
    .win_ready_o, .win_s1_o, .win_r_o, .win_pad_o, .win_flags_o, .win_release_i
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
endmodule

`default_nettype wire
