// ecg_bnn_seqmul: sequential signed x signed multiplier, one multiplier bit per cycle
// (shift-and-add, the multiplier's sign bit is subtracted). WB cycles per product; about
// WA+WB flip-flops and one WA+1-bit adder, no DSP block.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_seqmul #(
  parameter int WA = 16,  // multiplicand width (signed)
  parameter int WB = 16   // multiplier width (signed), = cycles per product
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  start_i,  // ignored while busy_o
  input  logic signed [WA-1:0]  a_i,
  input  logic signed [WB-1:0]  b_i,
  output logic                  busy_o,
  output logic                  done_o,   // one-cycle pulse; p_o valid from then until next start
  output logic signed [WA+WB-1:0] p_o
);

  initial begin
    if (WA < 2 || WB < 2) $fatal(1, "ecg_bnn_seqmul: WA and WB must be at least 2");
  end

  localparam int CW = $clog2(WB + 1);

  logic signed [WA-1:0] a_q;
  logic signed [WA:0]   hi_q;
  logic [WB-1:0]        lo_q;
  logic [CW-1:0]        cnt_q;
  logic                 busy_q, done_q;

  logic signed [WA:0] addend, sum;
  assign addend = lo_q[0] ? {a_q[WA-1], a_q} : '0;
  assign sum    = (cnt_q == CW'(1)) ? hi_q - addend : hi_q + addend;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
      done_q <= 1'b0;
      cnt_q  <= '0;
    end else begin
      done_q <= 1'b0;
      if (busy_q) begin
        cnt_q <= cnt_q - CW'(1);
        if (cnt_q == CW'(1)) begin
          busy_q <= 1'b0;
          done_q <= 1'b1;
        end
      end else if (start_i) begin
        busy_q <= 1'b1;
        cnt_q  <= CW'(WB);
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (busy_q) begin
      hi_q <= {sum[WA], sum[WA:1]};
      lo_q <= {sum[0], lo_q[WB-1:1]};
    end else if (start_i) begin
      a_q  <= a_i;
      hi_q <= '0;
      lo_q <= b_i;
    end
  end

  assign busy_o = busy_q;
  assign done_o = done_q;
  assign p_o    = {hi_q[WA-1:0], lo_q};

  // ---------------------------------------------------------------- properties
`ifdef ECG_BNN_CHECKS
  logic f_rst_q;
  always @(posedge clk_i) f_rst_q <= !rst_ni;
`endif
  `ECG_BNN_ASSERT(SeqmulIdleAfterReset, !f_rst_q || (!busy_q && !done_q))
  `ECG_BNN_COVER(SeqmulDone, done_q)

endmodule

`default_nettype wire
