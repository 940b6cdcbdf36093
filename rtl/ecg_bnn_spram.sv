// ecg_bnn_spram: single-port RAM with a registered read (read data holds while writing).
// The behavioral model is the default and is what Verilator, Icarus, Vivado and Quartus read;
// Yosys `synth_ice40 -spram` maps it to SB_SPRAM256KA (16K x 16) when DEPTH <= 16384 and
// WIDTH <= 16. Defining ECG_BNN_ICE40_SPRAM instantiates SB_SPRAM256KA explicitly instead
// (DEPTH <= 16384, WIDTH <= 16; needs the iCE40 cell library).
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_spram #(
  parameter int DEPTH = 16384,
  parameter int WIDTH = 16
) (
  input  logic                     clk_i,
  input  logic                     en_i,   // access enable (read when !we_i)
  input  logic                     we_i,
  input  logic [$clog2(DEPTH)-1:0] addr_i,
  input  logic [WIDTH-1:0]         wdata_i,
  output logic [WIDTH-1:0]         rdata_o
);

  initial begin
    if (DEPTH < 2) $fatal(1, "ecg_bnn_spram: DEPTH must be at least 2");
  end

`ifdef ECG_BNN_ICE40_SPRAM
  initial begin
    if (DEPTH > 16384 || WIDTH > 16)
      $fatal(1, "ecg_bnn_spram: SB_SPRAM256KA holds at most 16384 x 16 bits");
  end
  logic [15:0] dout;
  logic [13:0] addr14;
  logic [15:0] din16;
  assign addr14 = 14'(addr_i);
  assign din16  = 16'(wdata_i);
  SB_SPRAM256KA u_spram (
    .ADDRESS   (addr14),
    .DATAIN    (din16),
    .MASKWREN  (4'b1111),
    .WREN      (we_i),
    .CHIPSELECT(en_i),
    .CLOCK     (clk_i),
    .STANDBY   (1'b0),
    .SLEEP     (1'b0),
    .POWEROFF  (1'b1),
    .DATAOUT   (dout)
  );
  assign rdata_o = dout[WIDTH-1:0];
`else
  logic [WIDTH-1:0] mem_q [DEPTH];

  always_ff @(posedge clk_i) begin
    if (en_i) begin
      if (we_i) mem_q[addr_i] <= wdata_i;
      else      rdata_o       <= mem_q[addr_i];
    end
  end
`endif

endmodule

`default_nettype wire
