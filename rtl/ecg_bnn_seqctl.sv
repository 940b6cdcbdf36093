// ecg_bnn_seqctl: the start/busy/done controller shared by the sequential arithmetic units
// (ecg_bnn_isqrt, ecg_bnn_seqdiv). A start taken while idle (the unit latches
// its operands: `if (busy_o) step; else if (start_i) load`) is followed by exactly STEPS busy
// cycles, one datapath step each (left_o counts them down, last_o marks the last), and a
// one-cycle done_o in the cycle after the last step; a new start is taken in that cycle already.
// A start while busy is ignored.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_seqctl #(
  parameter int STEPS = 16  // busy cycles (datapath steps) per operation
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       start_i,  // ignored while busy_o
  output logic                       busy_o,   // a step is done this cycle
  output logic                       last_o,   // this cycle's step is the last (only while busy_o)
  output logic [$clog2(STEPS+1)-1:0] left_o,   // steps left, this cycle's included; 0 when idle
  output logic                       done_o    // one-cycle pulse after the last step
);

  localparam int CW = $clog2(STEPS + 1);

  initial begin
    if (STEPS < 1) $fatal(1, "ecg_bnn_seqctl: STEPS must be at least 1 (got %0d)", STEPS);
  end

  logic [CW-1:0] left_q;
  logic          busy_q, done_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
      done_q <= 1'b0;
      left_q <= '0;
    end else begin
      done_q <= 1'b0;
      if (busy_q) begin
        left_q <= left_q - CW'(1);
        if (left_q == CW'(1)) begin
          busy_q <= 1'b0;
          done_q <= 1'b1;
        end
      end else if (start_i) begin
        busy_q <= 1'b1;
        left_q <= CW'(STEPS);
      end
    end
  end

  assign busy_o = busy_q;
  // left_q is 1 only while busy (SeqCountBound), so the count alone decides
  assign last_o = (left_q == CW'(1));
  assign left_o = left_q;
  assign done_o = done_q;

  // ---------------------------------------------------------------- properties
  // Handshake: idle after reset; a start is taken only while idle; every taken start is
  // followed by exactly STEPS busy cycles without a gap and then exactly one done_o. The
  // reference counts f_op_q (an operation waits for its done) and f_steps_q (its busy cycles).
`ifdef ECG_BNN_CHECKS
  logic          f_rst_q, f_op_q, f_take;
  logic [CW-1:0] f_steps_q;
  assign f_take = start_i && !busy_o;  // a start is taken
  always @(posedge clk_i) begin
    f_rst_q <= !rst_ni;
    if (!rst_ni) begin
      f_op_q    <= 1'b0;
      f_steps_q <= '0;
    end else if (f_take) begin
      f_op_q    <= 1'b1;
      f_steps_q <= '0;
    end else begin
      if (done_o) f_op_q <= 1'b0;
      if (busy_o) f_steps_q <= f_steps_q + CW'(1);
    end
  end
`endif
  `ECG_BNN_ASSERT(SeqIdleAfterReset, !f_rst_q || (!busy_o && !done_o))
  `ECG_BNN_ASSERT(SeqCountBound, left_q <= CW'(STEPS) && busy_q == (left_q != '0))
  `ECG_BNN_ASSERT(SeqBusyOnlyWhenStarted, !busy_o || f_op_q)
  `ECG_BNN_ASSERT(SeqBusyUntilDone, !f_op_q || busy_o || done_o)
  `ECG_BNN_ASSERT(SeqStepCount, !busy_o || left_q == CW'(STEPS) - f_steps_q)
  `ECG_BNN_ASSERT(SeqLastStep, last_o == (busy_o && f_steps_q == CW'(STEPS - 1)))
  `ECG_BNN_ASSERT(SeqDoneAfterSteps, !done_o || (f_op_q && !busy_o && f_steps_q == CW'(STEPS)))
  `ECG_BNN_COVER(SeqDone, done_o)
  `ECG_BNN_COVER(SeqBackToBack, done_o && f_take)

endmodule

`default_nettype wire
