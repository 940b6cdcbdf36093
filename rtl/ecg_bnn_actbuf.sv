// ecg_bnn_actbuf: activation buffer for the binary layers. Bits are stored flattened,
// position-major (bit index pos*C + c of the padded map), in AW-bit words split over two banks
// (even and odd word indices), so that the two consecutive words holding any AW-bit slice are
// read in one cycle. The word index's MSB selects the half (ping-pong: a layer reads one half
// and writes the other). Writes are bit-masked (iCE40 EBR MASK). Read data: {hi, lo} where lo
// is word rword_i and hi is word rword_i + 1 (valid the cycle after re_i).
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_actbuf #(
  parameter int AW    = 16,   // word width
  parameter int WORDS = 1024  // words in both halves together (power of two)
) (
  input  logic                     clk_i,
  input  logic                     we_i,
  input  logic [$clog2(WORDS)-1:0] wword_i,
  input  logic [AW-1:0]            wdata_i,
  input  logic [AW-1:0]            wmask_i,
  input  logic                     re_i,
  input  logic                     rhi_i,    // the hi word is needed too
  input  logic [$clog2(WORDS)-1:0] rword_i,
  output logic [2*AW-1:0]          rdata_o
);

  localparam int WI = $clog2(WORDS);

  initial begin
    if ((1 << WI) != WORDS || WORDS < 4) $fatal(1, "ecg_bnn_actbuf: WORDS must be a power of two >= 4");
  end

  logic [WI-1:0]   rword_p1;
  logic [AW-1:0]   even_q, odd_q;
  logic            sel_q;

  assign rword_p1 = rword_i + 1'b1;

  ecg_bnn_ram_sdp #(.DEPTH(WORDS / 2), .WIDTH(AW)) u_even (
    .clk_i,
    .we_i(we_i && !wword_i[0]), .waddr_i(wword_i[WI-1:1]), .wdata_i, .wmask_i,
    .re_i(re_i && (!rword_i[0] || rhi_i)), .raddr_i(rword_p1[WI-1:1]), .rdata_o(even_q)
  );

  ecg_bnn_ram_sdp #(.DEPTH(WORDS / 2), .WIDTH(AW)) u_odd (
    .clk_i,
    .we_i(we_i && wword_i[0]), .waddr_i(wword_i[WI-1:1]), .wdata_i, .wmask_i,
    .re_i(re_i && (rword_i[0] || rhi_i)), .raddr_i(rword_i[WI-1:1]), .rdata_o(odd_q)
  );

  always_ff @(posedge clk_i) begin
    if (re_i) sel_q <= rword_i[0];
  end

  assign rdata_o = sel_q ? {even_q, odd_q} : {odd_q, even_q};

  logic unused;
  assign unused = ^{rword_p1[0]};

endmodule

`default_nettype wire
