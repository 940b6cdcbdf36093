// ecg_bnn_ram_sdp: simple dual-port RAM (one write port with a per-bit write mask, one read
// port with a registered read). Infers iCE40 EBR (SB_RAM40_4K, MASK in 256x16 mode), Xilinx /
// Intel block RAM or distributed RAM. Optional $readmemh initialisation (then it is a ROM when
// the write port is tied off; see ecg_bnn_rom for the read-only variant).
// Read-during-write of the same address returns undefined data; the IP never does it (a
// simulation check stops the run if it did). The memory carries Yosys' no_rw_check attribute,
// so synthesis does not add the collision logic that would give the read the old word (on the
// iCE40 that logic took 35-40 LUT4 and about 70 flip-flops per instance, more than the
// instance's own ports).
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_ram_sdp #(
  parameter int DEPTH = 256,  // words
  parameter int WIDTH = 16,   // bits per word
  parameter     MEM_FILE = "" // optional $readmemh image
) (
  input  logic                     clk_i,
  // write port (bit-masked)
  input  logic                     we_i,
  input  logic [$clog2(DEPTH)-1:0] waddr_i,
  input  logic [WIDTH-1:0]         wdata_i,
  input  logic [WIDTH-1:0]         wmask_i,
  // read port (data valid the cycle after re_i)
  input  logic                     re_i,
  input  logic [$clog2(DEPTH)-1:0] raddr_i,
  output logic [WIDTH-1:0]         rdata_o
);

  initial begin
    if (DEPTH < 2) $fatal(1, "ecg_bnn_ram_sdp: DEPTH must be at least 2");
    if (WIDTH < 1) $fatal(1, "ecg_bnn_ram_sdp: WIDTH must be at least 1");
  end

  (* no_rw_check *) logic [WIDTH-1:0] mem_q [DEPTH];

  initial begin
    if (MEM_FILE != "") $readmemh(MEM_FILE, mem_q);
  end

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      for (int i = 0; i < WIDTH; i++) begin
        if (wmask_i[i]) mem_q[waddr_i][i] <= wdata_i[i];
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (re_i) rdata_o <= mem_q[raddr_i];
  end

  // the read-during-write contract (simulation only; no reset here: a check of the ports in
  // every cycle)
`ifndef FORMAL
`ifndef SYNTHESIS
  always @(posedge clk_i) begin
    if (we_i && re_i && waddr_i == raddr_i && wmask_i != '0)
      $fatal(1, "%m: read and write of address %0d in one cycle at %0t", raddr_i, $time);
  end
`endif
`endif

endmodule

`default_nettype wire
