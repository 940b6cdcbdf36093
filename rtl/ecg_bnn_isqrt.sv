// ecg_bnn_isqrt: restoring (digit-by-digit) integer square root, r = floor(sqrt(v)), one result
// bit per cycle: VW/2 cycles. Datapath: a VW-bit operand shift register, a VW/2+2-bit remainder
// and one adder of the same width; the start/busy/done handshake is ecg_bnn_seqctl's.
// The remainder and the operand are kept inverted (a - b = ~(~a + b)): the step's trial
// subtraction is then an addition of two registers, no inverter in front of the carry chain, and
// the choice between the difference and the shifted remainder folds into the adder's LUTs.
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

  logic [VW-1:0]   vn_q;    // ~operand bits still to come, the next two at the top
  logic [REMW-1:0] remn_q;  // ~remainder
  logic [RW-1:0]   root_q;
  logic            busy, last, done;
  logic [CW-1:0]   left;

  // ~rem_sh + trial = 2^REMW - 1 - (rem_sh - trial): no carry out exactly when rem_sh >= trial,
  // and then its low bits are ~(rem_sh - trial)
  logic [REMW-1:0] remn_sh, trial, sum;
  logic            carry, ge;
  // The remainder never exceeds twice the root found so far (IsqrtRemainderBound), so it is below
  // 2^(RW+1), and its top two bits are zero (ones, inverted) whenever it is shifted again
  // (IsqrtRemainderTop): the shift drops them and the datapath never reads them back.
  assign remn_sh      = {remn_q[REMW-3:0], vn_q[VW-1:VW-2]};
  assign trial        = {root_q, 2'b01};
  assign {carry, sum} = {1'b0, remn_sh} + {1'b0, trial};
  assign ge           = !carry;

  ecg_bnn_seqctl #(.STEPS(RW)) u_ctl (
    .clk_i, .rst_ni, .start_i, .busy_o(busy), .last_o(last), .left_o(left),
    .done_o(done)
  );

  always_ff @(posedge clk_i) begin
    if (busy) begin
      vn_q   <= {vn_q[VW-3:0], 2'b11};
      remn_q <= ge ? sum : remn_sh;
      root_q <= {root_q[RW-2:0], ge};
    end else if (start_i) begin  // a start taken while idle: latch the operands
      vn_q   <= ~v_i;
      remn_q <= '1;
      root_q <= '0;
    end
  end

  assign busy_o = busy;
  assign done_o = done;
  assign r_o    = root_q;

  logic unused;
  assign unused = ^{last};

  // ---------------------------------------------------------------- properties
  // While busy, with `left` steps to go, the root has RW - left bits (the rest still to come) and
  // the remainder v - root^2 of the bits seen so far is at most 2*root (restoring square root).
  `ECG_BNN_ASSERT(IsqrtRootWidth, !busy || (root_q >> (CW'(RW) - left)) == '0)
  `ECG_BNN_ASSERT(IsqrtRemainderBound, !busy || ~remn_q <= {1'b0, root_q, 1'b0})
  `ECG_BNN_ASSERT(IsqrtRemainderTop, !busy || remn_q[REMW-1:REMW-2] == 2'b11)
  `ECG_BNN_COVER(IsqrtDone, done)

endmodule

`default_nettype wire
