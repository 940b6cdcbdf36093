// ecg_bnn_isqrt: restoring (digit-by-digit) integer square root, r = floor(sqrt(v)), one result
// bit per cycle: VW/2 cycles. Datapath: a VW-bit operand shift register, a VW/2+2-bit remainder
// and one subtractor of the same width.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_isqrt #(
  parameter int VW = 54  // operand width (even); result has VW/2 bits
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              start_i,  // ignored while busy_o
  input  logic [VW-1:0]     v_i,
  output logic              busy_o,
  output logic              done_o,   // one-cycle pulse; r_o valid from then until next start
  output logic [VW/2-1:0]   r_o
);

  initial begin
    if (VW < 4 || VW % 2 != 0) $fatal(1, "ecg_bnn_isqrt: VW must be even and at least 4");
  end

  localparam int RW   = VW / 2;
  localparam int REMW = RW + 2;
  localparam int CW   = $clog2(RW + 1);

  logic [VW-1:0]   v_q;
  // The remainder is below 2^(RW+1) at every step and its top two bits are zero whenever it is
  // shifted again, so those bits are never read back.
  /* verilator lint_off UNUSEDSIGNAL */
  logic [REMW-1:0] rem_q;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [RW-1:0]   root_q;
  logic [CW-1:0]   cnt_q;
  logic            busy_q, done_q;

  logic [REMW-1:0] rem_sh, trial, diff;
  logic            ge;
  assign rem_sh = {rem_q[REMW-3:0], v_q[VW-1:VW-2]};
  assign trial  = {root_q, 2'b01};
  assign diff   = rem_sh - trial;
  assign ge     = rem_sh >= trial;

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
        cnt_q  <= CW'(RW);
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (busy_q) begin
      v_q    <= {v_q[VW-3:0], 2'b00};
      rem_q  <= ge ? diff : rem_sh;
      root_q <= {root_q[RW-2:0], ge};
    end else if (start_i) begin
      v_q    <= v_i;
      rem_q  <= '0;
      root_q <= '0;
    end
  end

  assign busy_o = busy_q;
  assign done_o = done_q;
  assign r_o    = root_q;

  // ---------------------------------------------------------------- properties
`ifdef ECG_BNN_CHECKS
  logic f_rst_q;
  always @(posedge clk_i) f_rst_q <= !rst_ni;
`endif
  `ECG_BNN_ASSERT(IsqrtIdleAfterReset, !f_rst_q || (!busy_q && !done_q))
  `ECG_BNN_COVER(IsqrtDone, done_q)

endmodule

`default_nettype wire
