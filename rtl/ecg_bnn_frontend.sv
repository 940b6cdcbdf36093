// ecg_bnn_frontend: sample input, sample ring (single-port RAM, one iCE40 SPRAM) and the window
// pass (ecg_bnn_window, with ecg_bnn_norm). Delivers whole windows of raw samples into the window
// buffer (outside, shared with the engine) with their constants S1, r, P and flags
// (docs/input_contract.md) and a ready/release handshake.
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_frontend #(
  parameter int N          = 3600,
  parameter int HOP        = 3600,
  parameter int RING_DEPTH = 16384,
  parameter int QDEPTH     = 2,
  parameter int XDEPTH     = 4096,
  parameter int LOW_RMS    = 4,
  parameter int CLIP_MAX   = 36
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic [15:0]               s_data_i,
  input  logic                      s_valid_i,
  output logic                      s_ready_o,
  output logic                      xbuf_we_o,
  output logic [$clog2(XDEPTH)-1:0] xbuf_waddr_o,
  output logic [15:0]               xbuf_wdata_o,   // raw samples
  output logic                      win_ready_o,
  output logic signed [27:0]        win_s1_o,
  output logic [26:0]               win_r_o,
  output logic signed [16:0]        win_pad_o,
  output logic [2:0]                win_flags_o,    // {clipped, low, flat}
  input  logic                      win_release_i
);

  localparam int RAW = $clog2(RING_DEPTH);

  logic           ring_we, ring_re;
  logic [RAW-1:0] ring_waddr, ring_raddr;
  logic [15:0]    ring_wdata, ring_rdata;
  logic           win_valid, win_pop, win_free;

  ecg_bnn_sample_in #(.N(N), .HOP(HOP), .RING_DEPTH(RING_DEPTH), .QDEPTH(QDEPTH)) u_sample_in (
    .clk_i, .rst_ni,
    .s_data_i, .s_valid_i, .s_ready_o,
    .ring_we_o(ring_we), .ring_waddr_o(ring_waddr), .ring_wdata_o(ring_wdata),
    .win_valid_o(win_valid), .win_pop_i(win_pop), .win_free_i(win_free)
  );

  ecg_bnn_spram #(.DEPTH(RING_DEPTH), .WIDTH(16)) u_ring (
    .clk_i,
    .en_i(ring_we || ring_re), .we_i(ring_we),
    .addr_i(ring_we ? ring_waddr : ring_raddr),
    .wdata_i(ring_wdata), .rdata_o(ring_rdata)
  );

  ecg_bnn_window #(
    .N(N), .HOP(HOP), .RING_DEPTH(RING_DEPTH), .XDEPTH(XDEPTH),
    .LOW_RMS(LOW_RMS), .CLIP_MAX(CLIP_MAX)
  ) u_window (
    .clk_i, .rst_ni,
    .win_valid_i(win_valid), .win_pop_o(win_pop), .win_free_o(win_free),
    .ring_busy_i(ring_we), .ring_re_o(ring_re), .ring_raddr_o(ring_raddr),
    .ring_rdata_i(ring_rdata),
    .xbuf_we_o, .xbuf_waddr_o, .xbuf_wdata_o,
    .win_ready_o, .win_s1_o, .win_r_o, .win_pad_o, .win_flags_o, .win_release_i
  );

endmodule

`default_nettype wire
