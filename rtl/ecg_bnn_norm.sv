// ecg_bnn_norm: the window constants of docs/input_contract.md from the window sums:
//   V = N*S2 - S1^2, r = isqrt(V), P = floor((S1 + r) / N),
//   flat = (V == 0), low = (r < N*LOW_RMS), clipped = (K > CLIP_MAX).
// V comes from one right-shifting multiply-accumulate pass over the 28 bits of S1 (shift and
// add with the product negated: -S1*S1), which also adds S2 into the
// accumulator at the steps whose bit of N is set (adding S2 at step i adds S2*2^i to the result),
// so N*S2 needs no adder tree of its own. Both addends are registers cleared by their flip-flops'
// synchronous reset on the steps that add nothing (no gating logic). Then the square root
// (ecg_bnn_isqrt, 27 cycles) and the floor division by N (ecg_bnn_seqdiv). flat is r == 0
// (isqrt(V) = 0 exactly when V = 0). About 90 cycles from start_i to done_o.
// s1_i and s2_i are read in place (the window pass's sum registers, final and held while the
// unit works: NormSumsHeld); k_i is sampled with start_i.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_norm #(
  parameter int N        = 3600,  // samples per window
  parameter int LOW_RMS  = 4,     // low flag: window RMS about its mean below this (input counts)
  parameter int CLIP_MAX = 36     // clipped flag: more than this many samples at the int16 rails
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               start_i,  // ignored while busy_o
  input  logic signed [27:0] s1_i,     // sum of samples (held from start_i until done_o)
  input  logic [41:0]        s2_i,     // sum of squared samples (held likewise)
  input  logic [11:0]        k_i,      // samples at the rails
  output logic               busy_o,
  output logic               done_o,   // one-cycle pulse; outputs valid until the next start
  output logic [26:0]        r_o,      // isqrt(V)
  output logic signed [16:0] pad_o,    // P
  output logic [2:0]         flags_o   // {clipped, low, flat}
);

  localparam int S1W = 28;
  localparam int S2W = 42;
  localparam int VW  = 54;
  localparam int HW  = S2W + 3;  // accumulator high part: |hi| < 2*S2 + |S1| < 2^44
  localparam int CW  = $clog2(S1W + 1);

  initial begin
    if (N < 2 || N >= 4096) $fatal(1, "ecg_bnn_norm: N must lie in [2, 4095] (12-bit counts)");
    if (LOW_RMS < 0 || longint'(N) * LOW_RMS >= (longint'(1) << 27))
      $fatal(1, "ecg_bnn_norm: N*LOW_RMS must fit the 27-bit root");
    if (CLIP_MAX < 0 || CLIP_MAX > 4095) $fatal(1, "ecg_bnn_norm: CLIP_MAX must lie in [0, 4095]");
  end

  typedef enum logic [2:0] {ST_IDLE, ST_LOAD, ST_VAR, ST_VDONE, ST_ROOT, ST_PAD} state_e;
  state_e state_q;

  // ---------------------------------------------------------------- V = N*S2 - S1*S1
  logic [CW-1:0]         step_q;     // multiply-accumulate step (bit of S1) being added now
  logic signed [HW-1:0]  hi_q;
  logic [S1W-1:0]        lo_q;       // low product bits, shifted in from the top
  logic [S2W-1:0]        add_s2_q;   // S2 on the steps with a set bit of N, else 0
  logic [S1W-1:0]        add_s1_q;   // -S1 (bit pattern ~S1, plus carry) on set bits of S1,
  logic                  cin_q;      // +S1 on the sign bit, else 0
  logic                  mac_last;

  // the step after `step` adds S2 when bit (step+1) of N is set, S1 when bit (step+1) of S1 is
  function automatic logic n_bit(input logic [CW-1:0] i);
    n_bit = (i < CW'(12)) && (((N >> i) & 1) == 1);
  endfunction

  // t1 kept as a signal of its own: merged into one three-operand sum, Yosys builds a
  // carry-save adder that costs about 45 SB_LUT4 more than two carry-chain adders
  (* keep *) logic signed [HW-1:0] t1;
  logic signed [HW-1:0] t2;
  assign t1 = hi_q + HW'(add_s2_q);
  assign t2 = t1 + {{(HW-S1W){add_s1_q[S1W-1]}}, add_s1_q} + HW'(cin_q);
  assign mac_last = (step_q == CW'(S1W - 1));

  logic [CW-1:0] next_step;
  logic          load_step;  // the addends of step next_step are loaded this cycle
  // (ST_LOAD loads step 0 from the latched sums: no multiplexer in front of the addends)
  assign load_step = (state_q == ST_LOAD) || (state_q == ST_VAR && !mac_last);
  assign next_step = (state_q == ST_LOAD) ? '0 : step_q + CW'(1);

  logic next_s1_bit, next_is_sign;
  assign next_s1_bit  = s1_i[next_step];
  assign next_is_sign = (next_step == CW'(S1W - 1));

  always_ff @(posedge clk_i) begin
    // the addends: synchronous clear when the step adds nothing
    if (!load_step || !n_bit(next_step)) add_s2_q <= '0;
    else add_s2_q <= s2_i;
    if (!load_step || !next_s1_bit) begin
      add_s1_q <= '0;
      cin_q    <= 1'b0;
    end else begin
      add_s1_q <= next_is_sign ? s1_i : ~s1_i;
      cin_q    <= !next_is_sign;
    end
    if (load_step) step_q <= next_step;
    if (state_q == ST_LOAD) hi_q <= '0;
    else if (state_q == ST_VAR) begin
      hi_q <= t2 >>> 1;
      lo_q <= {t2[0], lo_q[S1W-1:1]};
    end
  end

  // V = {hi, lo} once the pass is done (0 <= V < 2^54: the high part's top bits are zero)
  logic [VW-1:0] v;
  assign v = {hi_q[VW-S1W-1:0], lo_q};

  // ---------------------------------------------------------------- r and P
  logic        root_start, root_busy, root_done;
  logic [26:0] root;
  logic        div_start, div_busy, div_done;
  logic signed [16:0] quot;
  logic signed [28:0] num;

  assign root_start = (state_q == ST_VDONE);  // V is complete from this cycle on
  assign div_start  = (state_q == ST_ROOT) && root_done;
  assign num        = 29'(s1_i) + 29'(root);

  ecg_bnn_isqrt #(.VW(VW)) u_isqrt (
    .clk_i, .rst_ni, .start_i(root_start), .v_i(v),
    .busy_o(root_busy), .done_o(root_done), .r_o(root)
  );

  ecg_bnn_seqdiv #(.NW(29), .DIVISOR(N), .QW(17)) u_div (
    .clk_i, .rst_ni, .start_i(div_start), .a_i(num),
    .busy_o(div_busy), .done_o(div_done), .q_o(quot)
  );

  logic clipped_q, done_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= ST_IDLE;
      done_q  <= 1'b0;
    end else begin
      done_q <= 1'b0;
      case (state_q)
        ST_IDLE: if (start_i) state_q <= ST_LOAD;
        ST_LOAD: state_q <= ST_VAR;
        ST_VAR:  if (mac_last) state_q <= ST_VDONE;
        ST_VDONE: state_q <= ST_ROOT;
        ST_ROOT: if (root_done) state_q <= ST_PAD;
        ST_PAD: begin
          if (div_done) begin
            done_q  <= 1'b1;
            state_q <= ST_IDLE;
          end
        end
        default: state_q <= ST_IDLE;
      endcase
    end
  end

  always_ff @(posedge clk_i) begin
    if (state_q == ST_IDLE && start_i) clipped_q <= (k_i > 12'(CLIP_MAX));
  end

  // the root and the quotient hold until their units start again (next window)
  assign busy_o  = (state_q != ST_IDLE);
  assign done_o  = done_q;
  assign r_o     = root;
  assign pad_o   = quot;
  assign flags_o = {clipped_q, root < 27'(N * LOW_RMS), root == '0};

  // V < 2^54 leaves the accumulator's top bits zero; the units' busy flags are implied by state_q
  logic unused;
  assign unused = ^{hi_q[HW-1:VW-S1W], root_busy, div_busy};

  // ---------------------------------------------------------------- properties
`ifdef ECG_BNN_CHECKS
  logic        f_rst_q;
  logic [69:0] f_s12_q;
  always @(posedge clk_i) begin
    f_rst_q <= !rst_ni;
    f_s12_q <= {s1_i, s2_i};
  end
`endif
  // the sums are read in place: held from the start (busy_o from the next cycle) until done_o
  `ECG_BNN_ASSUME(NormSumsHeld, !busy_o || {s1_i, s2_i} == f_s12_q)
  `ECG_BNN_ASSERT(NormIdleAfterReset, !f_rst_q || (state_q == ST_IDLE && !done_q))
  `ECG_BNN_ASSERT(NormStateLegal, state_q <= ST_PAD)
  `ECG_BNN_ASSERT(NormStepBound, state_q != ST_VAR || step_q <= CW'(S1W - 1))
  // exactly one unit works in each state: the root in ST_ROOT, the divider in ST_PAD
  `ECG_BNN_ASSERT(NormRootOnlyInRoot, !root_busy || state_q == ST_ROOT)
  `ECG_BNN_ASSERT(NormDivOnlyInPad, !div_busy || state_q == ST_PAD)
  `ECG_BNN_COVER(NormDone, done_q)
  `ECG_BNN_COVER(NormFlat, done_q && flags_o[0])

endmodule

`default_nettype wire
