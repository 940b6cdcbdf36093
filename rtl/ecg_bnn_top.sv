// ecg_bnn_top: ECG binary neural network classifier, AXI4-Stream in and out.
//
// s_axis: one signed 16-bit sample per beat, any gain and DC offset, used as it is (no
// saturation; docs/input_contract.md). Every HOP samples, once N = 3600 have arrived, a window
// of the last N samples is classified.
// m_axis: one beat per window: tdata[7:0] class index, tdata[8] flat (every sample equal),
// tdata[9] low (RMS below LOW_RMS counts), tdata[10] clipped (more than CLIP_MAX samples on
// the int16 rails), tdata[15:11] = 0, tdata[16+32*c +: 32] = score of class c (signed);
// tlast = 1. When any flag is set the class must be ignored.
//
// Buffering policy (nothing is ever dropped):
// - samples go into a sample ring (RING_DEPTH, one SPRAM) while earlier windows are classified;
//   up to QDEPTH completed windows wait for the front end, whose window buffer holds one more;
// - s_axis_tready falls only when the ring is full or a sample would complete a window while
//   QDEPTH windows are already waiting;
// - the result register is the single result slot: the engine starts block 6 of a window only
//   once the previous result has been taken (m_axis_tready), so a stalled output stalls the
//   engine, then the front end, then (after the queue fills) the input.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_top #(
  parameter int NUM_CLASSES      = 5,      // 5 AAMI classes or 17 rhythm classes (2..255)
  parameter int SIMD             = 16,     // XNOR bits per cycle per PE: 8, 16, 32, 64
  parameter int PE               = 1,      // output channels in parallel: 1, 2, 4, 8
  parameter int HOP              = 3600,   // samples between windows (divides 3600)
  parameter int QDEPTH           = 2,      // completed windows that may wait for the front end
  parameter int RING_DEPTH       = 16384,  // sample ring words (power of two >= 3600 + HOP)
  parameter int LOW_RMS          = 4,      // "low" flag: window RMS below this (input counts)
  parameter int CLIP_MAX         = 36,     // "clipped" flag: more samples than this on the rails
  parameter     WEIGHTS_FILE     = "",     // rtl/mem/<model>/weights.mem
  parameter     THRESHOLDS_FILE  = "",     // rtl/mem/<model>/thresholds.mem (and coefficients)
  parameter int THRESHOLDS_DEPTH = 256     // its words: the manifest's (ECG_BNN_TROM_DEPTH)
) (
  input  wire                          clk_i,
  input  wire                          rst_ni,  // synchronous, active low
  input  wire  [15:0]                  s_axis_tdata,
  input  wire                          s_axis_tvalid,
  output wire                          s_axis_tready,
  output wire  [16+32*NUM_CLASSES-1:0] m_axis_tdata,
  output wire                          m_axis_tvalid,
  input  wire                          m_axis_tready,
  output wire                          m_axis_tlast
);

  localparam int N      = 3600;
  localparam int XDEPTH = 4096;
  localparam int XAW    = $clog2(XDEPTH);

  logic               win_ready, win_release;
  logic signed [27:0] win_s1;
  logic [26:0]        win_r;
  logic signed [16:0] win_pad;
  logic [2:0]         win_flags;
  logic               fe_xwe, eng_xre;
  logic [XAW-1:0]     fe_xaddr, eng_xaddr;
  logic [15:0]        fe_xdata, xbuf_rdata;
  logic               eng_busy;
  logic [2:0]         eng_layer;

  ecg_bnn_frontend #(
    .N(N), .HOP(HOP), .RING_DEPTH(RING_DEPTH), .QDEPTH(QDEPTH), .XDEPTH(XDEPTH),
    .LOW_RMS(LOW_RMS), .CLIP_MAX(CLIP_MAX)
  ) u_frontend (
    .clk_i, .rst_ni,
    .s_data_i(s_axis_tdata), .s_valid_i(s_axis_tvalid), .s_ready_o(s_axis_tready),
    .xbuf_we_o(fe_xwe), .xbuf_waddr_o(fe_xaddr), .xbuf_wdata_o(fe_xdata),
    .win_ready_o(win_ready), .win_s1_o(win_s1), .win_r_o(win_r), .win_pad_o(win_pad),
    .win_flags_o(win_flags), .win_release_i(win_release)
  );

  // window buffer (raw samples): written by the front end while !win_ready, read by the engine
  // while win_ready
  ecg_bnn_spram #(.DEPTH(XDEPTH), .WIDTH(16)) u_xbuf (
    .clk_i,
    .en_i(win_ready ? eng_xre : fe_xwe), .we_i(!win_ready && fe_xwe),
    .addr_i(win_ready ? eng_xaddr : fe_xaddr), .wdata_i(fe_xdata), .rdata_o(xbuf_rdata)
  );

  ecg_bnn_engine #(
    .NUM_CLASSES(NUM_CLASSES), .SIMD(SIMD), .PE(PE),
    .WEIGHTS_FILE(WEIGHTS_FILE), .THRESHOLDS_FILE(THRESHOLDS_FILE),
    .THRESHOLDS_DEPTH(THRESHOLDS_DEPTH),
    .N(N), .XDEPTH(XDEPTH)
  ) u_engine (
    .clk_i, .rst_ni,
    .win_ready_i(win_ready), .win_s1_i(win_s1), .win_r_i(win_r), .win_pad_i(win_pad),
    .win_flags_i(win_flags), .win_release_o(win_release),
    .xbuf_re_o(eng_xre), .xbuf_raddr_o(eng_xaddr), .xbuf_rdata_i(xbuf_rdata),
    .m_data_o(m_axis_tdata), .m_valid_o(m_axis_tvalid), .m_ready_i(m_axis_tready),
    .busy_o(eng_busy), .layer_o(eng_layer)
  );

  assign m_axis_tlast = 1'b1;

  logic unused;
  assign unused = ^{eng_busy, eng_layer};

  // ---------------------------------------------------------------- properties
  // AXI4-Stream rules: assumed of the upstream master on s_axis (checked in simulation), asserted
  // of m_axis. The submodules carry the rest (rtl/ecg_bnn_assert.svh, docs/formal.md).
`ifdef ECG_BNN_CHECKS
  logic                         f_rst_q, f_s_stall_q, f_m_stall_q;
  logic [15:0]                  f_s_data_q;
  logic [16+32*NUM_CLASSES-1:0] f_m_data_q;
  always @(posedge clk_i) begin
    f_rst_q     <= !rst_ni;
    f_s_stall_q <= rst_ni && s_axis_tvalid && !s_axis_tready;
    f_m_stall_q <= rst_ni && m_axis_tvalid && !m_axis_tready;
    f_s_data_q  <= s_axis_tdata;
    f_m_data_q  <= m_axis_tdata;
  end
`endif
  `ECG_BNN_ASSUME(AxisInValidHeld, !f_s_stall_q || s_axis_tvalid)
  `ECG_BNN_ASSUME(AxisInDataStable, !f_s_stall_q || s_axis_tdata == f_s_data_q)
  `ECG_BNN_ASSERT(AxisOutLowAfterReset, !f_rst_q || !m_axis_tvalid)
  `ECG_BNN_ASSERT(AxisOutValidHeld, !f_m_stall_q || m_axis_tvalid)
  `ECG_BNN_ASSERT(AxisOutDataStable, !f_m_stall_q || (m_axis_tdata == f_m_data_q && m_axis_tlast))
  // the window buffer has one owner at a time: the front end writes it only while not ready
  `ECG_BNN_ASSERT(XbufOneOwner, !(win_ready && fe_xwe))

endmodule

`default_nettype wire
