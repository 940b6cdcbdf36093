// ecg_bnn_pnr_wrap: pin-count wrapper used only by the FPGA flow (scripts/fpga_flow.py) to
// place and route ecg_bnn_top on a small package (the iCE40 UP5K SG48 has 39 I/Os; the IP's
// AXI-Stream ports need 16 + 16 + 32*NUM_CLASSES + 4). Samples are shifted in serially
// (sdi_i, LSB first, while shift_in_i), the result word is captured when the IP presents it and
// shifted out serially (sdo_o, LSB first, while shift_out_i), so every IP output bit stays
// observable and nothing is optimized away. Costs about 16 + 16 + 32*NUM_CLASSES flip-flops and
// as many LUTs on top of the IP; the flow reports the bare IP's synthesis figures separately.
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_pnr_wrap #(
  parameter int NUM_CLASSES     = 5,
  parameter int SIMD            = 16,
  parameter int PE              = 1,
  parameter int HOP             = 3600,
  parameter int QDEPTH          = 2,
  parameter int RING_DEPTH      = 16384,
  parameter int LOW_RMS         = 4,
  parameter int CLIP_MAX        = 36,
  parameter     WEIGHTS_FILE    = "",
  parameter     THRESHOLDS_FILE = "",
  parameter int THRESHOLDS_DEPTH = 256
) (
  input  wire clk_i,
  input  wire rst_ni,       // synchronous, active low
  input  wire sdi_i,        // sample bits, LSB first
  input  wire shift_in_i,   // shift sdi_i into the sample register
  input  wire valid_i,      // the sample register holds a sample (s_axis_tvalid)
  output wire ready_o,      // s_axis_tready
  output wire sdo_o,        // result bits, LSB first
  input  wire shift_out_i,  // shift the result register
  output wire done_o        // a result has been captured since reset
);

  localparam int RW = 16 + 32 * NUM_CLASSES;

  logic [15:0]   sample_q;
  logic [RW-1:0] res_q;
  logic          done_q;
  logic [RW-1:0] m_data;
  logic          m_valid, m_last;

  ecg_bnn_top #(
    .NUM_CLASSES(NUM_CLASSES), .SIMD(SIMD), .PE(PE), .HOP(HOP), .QDEPTH(QDEPTH),
    .RING_DEPTH(RING_DEPTH), .LOW_RMS(LOW_RMS), .CLIP_MAX(CLIP_MAX),
    .WEIGHTS_FILE(WEIGHTS_FILE), .THRESHOLDS_FILE(THRESHOLDS_FILE),
    .THRESHOLDS_DEPTH(THRESHOLDS_DEPTH)
  ) u_top (
    .clk_i, .rst_ni,
    .s_axis_tdata(sample_q), .s_axis_tvalid(valid_i), .s_axis_tready(ready_o),
    .m_axis_tdata(m_data), .m_axis_tvalid(m_valid), .m_axis_tready(1'b1),
    .m_axis_tlast(m_last)
  );

  always_ff @(posedge clk_i) begin
    if (shift_in_i) sample_q <= {sdi_i, sample_q[15:1]};
    if (m_valid) res_q <= m_data;
    else if (shift_out_i) res_q <= {1'b0, res_q[RW-1:1]};
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) done_q <= 1'b0;
    else if (m_valid) done_q <= 1'b1;
  end

  assign sdo_o  = res_q[0];
  assign done_o = done_q;

  logic unused;
  assign unused = m_last;

endmodule

`default_nettype wire
