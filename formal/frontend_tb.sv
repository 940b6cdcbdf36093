// frontend_tb: formal wrapper of ecg_bnn_frontend (sample input, ring, z-score pass) with a short
// window: reset in the first cycle; the stream and the engine's release are free inputs. The
// normalisation unit (ecg_bnn_norm) is cut to a free, nondeterministic-latency stub in
// frontend.sby, and the sample input's assumptions on the z-score side become assertions.
`default_nettype none

module frontend_tb #(
  parameter int N          = 4,
  parameter int HOP        = 4,
  parameter int RING_DEPTH = 8,
  parameter int QDEPTH     = 2,
  parameter int ZDEPTH     = 4
) (
  input wire        clk_i,
  input wire        rst_ni,
  input wire [15:0] s_data_i,
  input wire        s_valid_i,
  input wire        zrelease_i
);
  localparam int ZAW = $clog2(ZDEPTH);
  wire           s_ready_o, zbuf_we_o, zready_o, zflat_o;
  wire [ZAW-1:0] zbuf_waddr_o;
  wire [15:0]    zbuf_wdata_o;

  ecg_bnn_frontend #(
    .N(N), .HOP(HOP), .RING_DEPTH(RING_DEPTH), .QDEPTH(QDEPTH), .ZDEPTH(ZDEPTH)
  ) dut (
    .clk_i, .rst_ni, .s_data_i, .s_valid_i, .s_ready_o,
    .zbuf_we_o, .zbuf_waddr_o, .zbuf_wdata_o, .zready_o, .zflat_o, .zrelease_i
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
endmodule

`default_nettype wire
