// ecg_bnn_top_tb: cocotb toplevel for tb/test_ecg_bnn_top.py (simulation only, not part of
// rtl/ecg_bnn.f). Wraps ecg_bnn_top and generates its 100 MHz clock in the simulator, so no
// Python runs on clock edges nobody waits for (a cocotb Clock costs two Python callbacks per
// cycle, about 50x the simulation time of a window). The AXI-Stream ports keep their names.
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_top_tb #(
  parameter int NUM_CLASSES     = 5,
  parameter int SIMD            = 16,
  parameter int PE              = 1,
  parameter int HOP             = 3600,
  parameter int QDEPTH          = 2,
  parameter int RING_DEPTH      = 16384,
  parameter     WEIGHTS_FILE    = "",
  parameter     THRESHOLDS_FILE = "",
  parameter int THRESHOLDS_DEPTH = 256
) (
  input  wire                          rst_ni,
  input  wire  [15:0]                  s_axis_tdata,
  input  wire                          s_axis_tvalid,
  output wire                          s_axis_tready,
  output wire  [16+32*NUM_CLASSES-1:0] m_axis_tdata,
  output wire                          m_axis_tvalid,
  input  wire                          m_axis_tready,
  output wire                          m_axis_tlast
);

  logic clk_i = 1'b0;
  /* verilator lint_off BLKSEQ */  // a testbench clock generator, not sequential logic
  always #5 clk_i = !clk_i;
  /* verilator lint_on BLKSEQ */

  ecg_bnn_top #(
    .NUM_CLASSES(NUM_CLASSES), .SIMD(SIMD), .PE(PE), .HOP(HOP), .QDEPTH(QDEPTH),
    .RING_DEPTH(RING_DEPTH), .WEIGHTS_FILE(WEIGHTS_FILE), .THRESHOLDS_FILE(THRESHOLDS_FILE),
    .THRESHOLDS_DEPTH(THRESHOLDS_DEPTH)
  ) u_top (
    .clk_i, .rst_ni,
    .s_axis_tdata, .s_axis_tvalid, .s_axis_tready,
    .m_axis_tdata, .m_axis_tvalid, .m_axis_tready, .m_axis_tlast
  );

endmodule

`default_nettype wire
