// ecg_bnn_rom: read-only memory initialised with $readmemh, registered read (infers block RAM:
// iCE40 EBR, Xilinx BRAM, Intel M9K/M10K). The image is one hex word per line, DEPTH lines.
// The array spans the whole address space (2^ceil(log2 DEPTH) words; the words past DEPTH are
// never read): on the iCE40 a 1,780-word ROM then maps to eight 2048x2 EBRs side by side, with
// no output multiplexer, instead of seven 256x16 EBRs and a 7:1 multiplexer (80 LUT4).
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_rom #(
  parameter int DEPTH = 256,  // words
  parameter int WIDTH = 16,   // bits per word
  parameter     MEM_FILE = "" // $readmemh image; "" leaves the contents undefined (tests only)
) (
  input  logic                     clk_i,
  input  logic                     re_i,
  input  logic [$clog2(DEPTH)-1:0] addr_i,
  output logic [WIDTH-1:0]         data_o
);

  initial begin
    if (DEPTH < 2) $fatal(1, "ecg_bnn_rom: DEPTH must be at least 2");
    if (WIDTH < 1) $fatal(1, "ecg_bnn_rom: WIDTH must be at least 1");
  end

  logic [WIDTH-1:0] mem_q [2**$clog2(DEPTH)];

  initial begin
    if (MEM_FILE != "") $readmemh(MEM_FILE, mem_q, 0, DEPTH - 1);
  end

  always_ff @(posedge clk_i) begin
    if (re_i) data_o <= mem_q[addr_i];
  end

endmodule

`default_nettype wire
