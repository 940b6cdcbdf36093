// ecg_bnn_seqdiv: sequential floor division of a signed numerator by a constant,
// q = floor(a / DIVISOR) (exact for negative a: rounds towards minus infinity), one quotient bit
// per cycle. The divisor's trailing zero bits are a shift (floor(a / (d*2^t)) =
// floor((a >>> t) / d)); a negative numerator is divided as ~a >= 0 and the quotient inverted
// (floor(a/d) = ~floor(~a/d)), so the datapath is an unsigned restoring divider: a remainder as
// wide as the odd divisor, one constant subtractor, and one register that holds the numerator
// bits still to come and the quotient bits already found. The start/busy/done handshake is
// ecg_bnn_seqctl's, as in ecg_bnn_isqrt (operands latched at a taken start).
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_seqdiv #(
  parameter int NW      = 29,    // numerator width (signed)
  parameter int DIVISOR = 3600,  // constant divisor (positive)
  parameter int QW      = 17     // quotient bits returned (signed); the caller's range must fit
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 start_i,  // ignored while busy_o
  input  logic signed [NW-1:0] a_i,
  output logic                 busy_o,
  output logic                 done_o,   // one-cycle pulse; q_o valid from then until next start
  output logic signed [QW-1:0] q_o
);

  // trailing zeros of the divisor and its odd part
  function automatic int ctz(input int v);
    int n;
    n = 0;
    while (v > 0 && (v % 2) == 0) begin
      v = v / 2;
      n++;
    end
    ctz = n;
  endfunction

  localparam int TZ  = ctz(DIVISOR);
  localparam int DO  = DIVISOR >> TZ;          // odd part of the divisor
  localparam int MW  = NW - TZ - 1;            // magnitude bits of the shifted numerator
  localparam int RW  = $clog2(DO + 1) + 1;     // remainder before the compare: < 2*DO
  localparam int CW  = $clog2(MW + 1);

  initial begin
    if (DIVISOR < 1) $fatal(1, "ecg_bnn_seqdiv: DIVISOR must be positive");
    if (MW < 1 || QW < 2 || QW > MW + 1)
      $fatal(1, "ecg_bnn_seqdiv: need NW > trailing zeros of DIVISOR + 1 and 2 <= QW <= NW - tz");
  end

  // the shifted numerator a >>> TZ is MW+1 bits signed; its magnitude code ~a for a < 0
  logic [MW-1:0] mag;
  assign mag = a_i[NW-2:TZ] ^ {MW{a_i[NW-1]}};

  logic          neg_q;
  logic [MW-1:0] nq_q;    // numerator bits still to come (top) and quotient bits found (bottom)
  logic [RW-1:0] rem_q;
  logic          busy, last, done;
  logic [CW-1:0] left;

  logic [RW-1:0] rem_sh, diff;
  logic          ge;
  assign rem_sh = {rem_q[RW-2:0], nq_q[MW-1]};
  assign diff   = rem_sh - RW'(DO);
  assign ge     = rem_sh >= RW'(DO);

  // MW steps, one quotient bit each
  ecg_bnn_seqctl #(.STEPS(MW)) u_ctl (
    .clk_i, .rst_ni, .start_i, .busy_o(busy), .last_o(last), .left_o(left),
    .done_o(done)
  );

  // quotient bits enter already inverted for a negative numerator
  always_ff @(posedge clk_i) begin
    if (busy) begin
      rem_q <= ge ? diff : rem_sh;
      nq_q  <= {nq_q[MW-2:0], ge ^ neg_q};
    end else if (start_i) begin  // a start taken while idle: latch the operands
      neg_q <= a_i[NW-1];
      rem_q <= '0;
      nq_q  <= mag;
    end
  end

  assign busy_o = busy;
  assign done_o = done;
  // bits above MW are the sign (the quotient of a non-negative MW-bit magnitude fits MW bits)
  if (QW > MW) begin : g_wide
    assign q_o = {neg_q, nq_q};
  end else begin : g_narrow
    assign q_o = nq_q[QW-1:0];
  end

  // the top quotient bits only repeat the sign where the caller's range is smaller
  logic unused;
  assign unused = ^{nq_q, a_i[TZ > 0 ? TZ-1 : 0], last, left};

  // ---------------------------------------------------------------- properties
  // restoring division: the remainder stays below the divisor
  `ECG_BNN_ASSERT(DivRemainderBound, !busy || rem_q < RW'(DO))
  `ECG_BNN_COVER(DivDone, done)
  `ECG_BNN_COVER(DivNegative, done && neg_q)

endmodule

`default_nettype wire
