// sample_in_tb: formal wrapper of ecg_bnn_sample_in (its properties are in the RTL) with a short
// window so that whole windows fit in a cover trace: reset in the first cycle; the stream, the
// window pops and the ring frees are free inputs (constrained by the module's assumptions).
`default_nettype none

module sample_in_tb #(
  parameter int N          = 4,
  parameter int HOP        = 4,
  parameter int RING_DEPTH = 8,
  parameter int QDEPTH     = 2
) (
  input wire        clk_i,
  input wire        rst_ni,
  input wire [15:0] s_data_i,
  input wire        s_valid_i,
  input wire        win_pop_i,
  input wire        win_free_i
);
  localparam int RAW = $clog2(RING_DEPTH);
  wire                  s_ready_o, ring_we_o, win_valid_o;
  wire [RAW-1:0]        ring_waddr_o;
  wire [15:0]           ring_wdata_o;

  ecg_bnn_sample_in #(.N(N), .HOP(HOP), .RING_DEPTH(RING_DEPTH), .QDEPTH(QDEPTH)) dut (
    .clk_i, .rst_ni, .s_data_i, .s_valid_i, .s_ready_o,
    .ring_we_o, .ring_waddr_o, .ring_wdata_o,
    .win_valid_o, .win_pop_i, .win_free_i
  );

  reg f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;
  always @(*) if (!f_past_valid) assume (!rst_ni);
endmodule

`default_nettype wire
