// ecg_bnn_frontend: sample input, sample ring (single-port RAM, one iCE40 SPRAM) and the
// normalisation front end (ecg_bnn_zscore). Delivers whole windows of z values into the
// z buffer (outside, shared with the engine) with a ready/release handshake.
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_frontend #(
  parameter int N          = 3600,
  parameter int HOP        = 3600,
  parameter int RING_DEPTH = 16384,
  parameter int QDEPTH     = 2,
  parameter int ZDEPTH     = 4096
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic [15:0]               s_data_i,
  input  logic                      s_valid_i,
  output logic                      s_ready_o,
  output logic                      zbuf_we_o,
  output logic [$clog2(ZDEPTH)-1:0] zbuf_waddr_o,
  output logic [15:0]               zbuf_wdata_o,
  output logic                      zready_o,
  output logic                      zflat_o,
  input  logic                      zrelease_i
);

  localparam int RAW = $clog2(RING_DEPTH);

  logic               ring_we, ring_re;
  logic [RAW-1:0]     ring_waddr, ring_raddr;
  logic [15:0]        ring_wdata, ring_rdata;
  logic               win_valid, win_pop, win_free;
  logic signed [23:0] win_s1;
  logic [33:0]        win_s2;

  ecg_bnn_sample_in #(.N(N), .HOP(HOP), .RING_DEPTH(RING_DEPTH), .QDEPTH(QDEPTH)) u_sample_in (
    .clk_i, .rst_ni,
    .s_data_i, .s_valid_i, .s_ready_o,
    .ring_we_o(ring_we), .ring_waddr_o(ring_waddr), .ring_wdata_o(ring_wdata),
    .win_valid_o(win_valid), .win_s1_o(win_s1), .win_s2_o(win_s2), .win_pop_i(win_pop),
    .win_free_i(win_free)
  );

  ecg_bnn_spram #(.DEPTH(RING_DEPTH), .WIDTH(16)) u_ring (
    .clk_i,
    .en_i(ring_we || ring_re), .we_i(ring_we),
    .addr_i(ring_we ? ring_waddr : ring_raddr),
    .wdata_i(ring_wdata), .rdata_o(ring_rdata)
  );

  ecg_bnn_zscore #(.N(N), .HOP(HOP), .RING_DEPTH(RING_DEPTH), .ZDEPTH(ZDEPTH)) u_zscore (
    .clk_i, .rst_ni,
    .win_valid_i(win_valid), .win_s1_i(win_s1), .win_s2_i(win_s2), .win_pop_o(win_pop),
    .win_free_o(win_free),
    .ring_busy_i(ring_we), .ring_re_o(ring_re), .ring_raddr_o(ring_raddr),
    .ring_rdata_i(ring_rdata),
    .zbuf_we_o, .zbuf_waddr_o, .zbuf_wdata_o,
    .zready_o, .zflat_o, .zrelease_i
  );

endmodule

`default_nettype wire
