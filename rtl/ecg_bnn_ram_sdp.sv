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

`ifdef ECG_BNN_ICE40_EBR
  // iCE40: SB_RAM40_4K blocks in 256 x 16 mode, ROWS deep by COLS wide. Inferred, Yosys derives
  // each block's write clock enable from the OR of its 16 per-bit enables and its MASK from each
  // bit's enable (about 20 SB_LUT4 per block); here the enable is we_i and the mask is shared.
  localparam int COLS = (WIDTH + 15) / 16;
  localparam int ROWS = (DEPTH + 255) / 256;
  localparam int RW   = (ROWS > 1) ? $clog2(ROWS) : 1;
  initial begin
    if (MEM_FILE != "") $fatal(1, "ecg_bnn_ram_sdp: ECG_BNN_ICE40_EBR maps RAMs without an image");
  end
  logic [16*COLS-1:0]           wdata_w, wmask_w, rword;
  logic [ROWS-1:0][16*COLS-1:0] rd;  // packed: Yosys drives no unpacked array from ports
  logic [RW-1:0]                rrow_q;
  assign wdata_w = (16*COLS)'(wdata_i);
  assign wmask_w = (16*COLS)'(wmask_i);
  for (genvar r = 0; r < ROWS; r++) begin : g_row
    logic wsel, rsel;  // the row holds the addressed word (address bits 8 and up)
    if (ROWS > 1) begin : g_sel
      assign wsel = (32'(waddr_i >> 8) == r);
      assign rsel = (32'(raddr_i >> 8) == r);
    end else begin : g_one
      assign wsel = 1'b1;
      assign rsel = 1'b1;
    end
    for (genvar c = 0; c < COLS; c++) begin : g_col
      SB_RAM40_4K #(.READ_MODE(0), .WRITE_MODE(0)) u_ebr (
        .RDATA(rd[r][16*c +: 16]), .RCLK(clk_i), .RCLKE(re_i && rsel), .RE(1'b1),
        .RADDR(11'(8'(raddr_i))),
        .WDATA(wdata_w[16*c +: 16]), .WCLK(clk_i), .WCLKE(we_i && wsel), .WE(1'b1),
        .WADDR(11'(8'(waddr_i))), .MASK(~wmask_w[16*c +: 16])
      );
    end
  end
  if (ROWS > 1) begin : g_rrow
    always_ff @(posedge clk_i) begin
      if (re_i) rrow_q <= RW'(raddr_i >> 8);
    end
  end else begin : g_rrow1
    assign rrow_q = '0;
  end
  assign rword   = rd[rrow_q];
  assign rdata_o = rword[WIDTH-1:0];
`else
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

`endif

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
