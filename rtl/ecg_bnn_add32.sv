// ecg_bnn_add32: a 32-bit adder, sum_o = a_i + b_i (mod 2^32), combinational. The behavioral sum
// is the default. Defining ECG_BNN_ICE40_DSP builds it from one SB_MAC16 in its 32-bit adder
// mode instead (iCE40 UltraPlus): the DSP block's two 16-bit adders, the low one's carry into
// the high one, no multiplier and no register. Yosys never maps a plain adder to a DSP block, and
// in logic a 32-bit adder costs 32 SB_LUT4 and 32 SB_CARRY.
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_add32 (
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic [31:0] sum_o
);

`ifdef ECG_BNN_ICE40_DSP
  // top adder: C + A + the bottom adder's carry; bottom adder: D + B (carry in 0)
  SB_MAC16 #(
    .TOPOUTPUT_SELECT(2'b00), .TOPADDSUB_LOWERINPUT(2'b00), .TOPADDSUB_UPPERINPUT(1'b1),
    .TOPADDSUB_CARRYSELECT(2'b10),
    .BOTOUTPUT_SELECT(2'b00), .BOTADDSUB_LOWERINPUT(2'b00), .BOTADDSUB_UPPERINPUT(1'b1),
    .BOTADDSUB_CARRYSELECT(2'b00)
  ) u_mac (
    .CLK(1'b0), .CE(1'b0),
    .C(a_i[31:16]), .A(b_i[31:16]), .B(b_i[15:0]), .D(a_i[15:0]),
    .AHOLD(1'b0), .BHOLD(1'b0), .CHOLD(1'b0), .DHOLD(1'b0),
    .IRSTTOP(1'b0), .IRSTBOT(1'b0), .ORSTTOP(1'b0), .ORSTBOT(1'b0),
    .OLOADTOP(1'b0), .OLOADBOT(1'b0), .ADDSUBTOP(1'b0), .ADDSUBBOT(1'b0),
    .OHOLDTOP(1'b0), .OHOLDBOT(1'b0), .CI(1'b0), .ACCUMCI(1'b0), .SIGNEXTIN(1'b0),
    // the sum wraps mod 2^32: the carry and sign-extension outputs stay open
    /* verilator lint_off PINCONNECTEMPTY */
    .O(sum_o), .CO(), .ACCUMCO(), .SIGNEXTOUT()
    /* verilator lint_on PINCONNECTEMPTY */
  );
`else
  assign sum_o = a_i + b_i;
`endif

endmodule

`default_nettype wire
