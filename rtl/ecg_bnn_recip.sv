// ecg_bnn_recip: restoring division q = floor(2^NUM_SHIFT / d), one quotient bit per cycle:
// NUM_SHIFT+1 cycles. Returns the low QW bits of the quotient (the caller guarantees it fits;
// the IP has d >= 59, so q < 2^27). d = 0 gives all ones.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_recip #(
  parameter int DW        = 23,  // divisor width (unsigned)
  parameter int NUM_SHIFT = 32,  // numerator is 2^NUM_SHIFT
  parameter int QW        = 27   // quotient bits returned
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  input  logic          start_i,  // ignored while busy_o
  input  logic [DW-1:0] d_i,
  output logic          busy_o,
  output logic          done_o,   // one-cycle pulse; q_o valid from then until next start
  output logic [QW-1:0] q_o
);

  initial begin
    if (DW < 2 || QW < 1 || QW > NUM_SHIFT + 1)
      $fatal(1, "ecg_bnn_recip: need DW >= 2 and 1 <= QW <= NUM_SHIFT+1");
  end

  localparam int CW = $clog2(NUM_SHIFT + 2);

  logic [DW-1:0] d_q;
  // rem < d < 2^DW after every step, so its top bit is never read back.
  /* verilator lint_off UNUSEDSIGNAL */
  logic [DW:0]   rem_q;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [QW-1:0] q_q;
  logic [CW-1:0] cnt_q;
  logic          busy_q, done_q;

  logic [DW:0] rem_sh, diff;
  logic        ge;
  // numerator bit for this step: 1 for the first (bit NUM_SHIFT), 0 afterwards
  assign rem_sh = {rem_q[DW-1:0], cnt_q == CW'(NUM_SHIFT + 1)};
  assign diff   = rem_sh - {1'b0, d_q};
  assign ge     = rem_sh >= {1'b0, d_q};

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
        cnt_q  <= CW'(NUM_SHIFT + 1);
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (busy_q) begin
      rem_q <= ge ? diff : rem_sh;
      q_q   <= {q_q[QW-2:0], ge};
    end else if (start_i) begin
      d_q   <= d_i;
      rem_q <= '0;
      q_q   <= '0;
    end
  end

  assign busy_o = busy_q;
  assign done_o = done_q;
  assign q_o    = q_q;

  // ---------------------------------------------------------------- properties
`ifdef ECG_BNN_CHECKS
  logic f_rst_q;
  always @(posedge clk_i) f_rst_q <= !rst_ni;
`endif
  `ECG_BNN_ASSERT(RecipIdleAfterReset, !f_rst_q || (!busy_q && !done_q))
  `ECG_BNN_COVER(RecipDone, done_q)

endmodule

`default_nettype wire
