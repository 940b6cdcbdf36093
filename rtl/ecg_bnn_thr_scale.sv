// ecg_bnn_thr_scale: per-window block-1 thresholds in raw sample units (docs/input_contract.md).
// For one channel, with ws = 2*popcount(w) - 7 (the sum of its weight signs) and F = 2^14 (the
// ROM's block-1 thresholds are Q14 z units),
//   hi' = ceil ((hi*r + F*S1*ws) / (F*N))      lo' = floor((lo*r + F*S1*ws) / (F*N))
// clamped to signed THR_W bits; hi = 2^23-1 and lo = -2^23 ("never") pass through unchanged.
// Sequential, one adder (two ecg_bnn_add32 halves: SB_MAC16 blocks in the iCE40 build), no
// multiplier. Every step is a Horner step acc = 2*acc + digit, so the adder never needs a second
// input mux:
// - acc starts at I = 225*2^17; 27 steps over r (MSB first, digit hi), 4 steps over ws (digit
//   S1*2^18, the sign bit's negated: ~x + 1 with the +1 as carry-in) and one last step (digit 0,
//   or 32*F*N - 1 for the ceiling) leave acc = 32*(num + 2^26*F*N) + c, num = hi*r + F*S1*ws:
//   positive, so the signed floor is an unsigned division, and c = 32*F*N - 1 turns the floor
//   into the ceiling;
// - 32*F*N = 225 * 2^23: dropping 23 bits is the exact floor by 2^23, then a restoring division
//   by 225 (8-bit remainder) over the 35 remaining bits turns acc into the quotient in place
//   (the same doubling, with the quotient bit in bit 23); the quotient is result + 2^26.
// The 59-bit Horner adder is split in two halves (a 58-bit carry chain alone took more than
// 30 ns on the iCE40): a Horner step takes two cycles, the low half and its carry registered in
// the first (ph_q = 0), the high half and the step's update in the second; the division steps
// are plain doublings (no adder) and take one. Which digit a step adds comes from one-hot
// select flip-flops loaded for the next step in the cycle that ends a step (or starts a pass),
// so no state decode sits in front of the digit select and the carry chain (that was the IP's
// critical path).
// Per threshold 2*(27 + 4 + 1) + 35 + 1 = 100 cycles; done_o pulses 201 cycles after start_i.
// The unit works in place on the caller's threshold register (the engine lane's): thr_i is
// that register's {hi, lo}, read during the whole operation, and hi' and lo' are written back
// over them (hi_we_o, lo_we_o with thr_o, each in the cycle that ends its pass), so the unit keeps
// no copy of either. s1_i and r_i are read during the whole operation too (the front end's
// per-window constants, stable while its window is ready): all three must be held (hi until its
// write) from the cycle after start_i until done_o.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_thr_scale #(
  parameter int N     = 3600,
  parameter int THR_W = 24
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    start_i,  // ignored while busy_o
  input  logic [2*THR_W-1:0]      thr_i,    // {hi, lo} (Q14 z units), read in place (see above)
  input  logic [6:0]              w_i,      // the channel's 7 weight bits (1 = +1)
  input  logic signed [27:0]      s1_i,     // sum of the window's samples
  input  logic [26:0]             r_i,      // floor(sqrt(N*S2 - S1^2))
  output logic                    busy_o,
  output logic                    done_o,   // one cycle, the cycle after lo_we_o
  output logic                    hi_we_o,  // thr_o is hi': write it over hi
  output logic                    lo_we_o,  // thr_o is lo': write it over lo
  output logic [THR_W-1:0]        thr_o     // hi' or lo' (raw sample units), with its write enable
);

  localparam int F_SHIFT   = 14;                         // F = 2^14: Q14 ROM thresholds
  localparam int AW        = 58;                         // accumulator: 32*(num + bias) + c < 2^58
  localparam int DIV_SHIFT = F_SHIFT + 9;                // 32*F*N = DIV_ODD * 2^DIV_SHIFT
  localparam int DIV_ODD   = 225;                        // N = 225 * 2^4
  localparam int QBITS     = AW - DIV_SHIFT;             // dividend bits after the shift (35)
  localparam int Q_OFF     = 26;                         // the bias adds 2^26 to the quotient
  localparam int QW        = Q_OFF + 1;                  // signed quotient width
  localparam int WS_SHIFT  = F_SHIFT + 4;                // ws digit S1*2^18: *16 (4 steps) *2 = 32F
  localparam int SPLIT     = 30;                         // the adder's low half: add_wide[SPLIT-1:0]
  localparam logic [AW-1:0] ACC_INIT  = AW'(DIV_ODD) << (F_SHIFT + 4 + Q_OFF - 27);
  localparam logic [AW-1:0] CEIL_LAST = (AW'(DIV_ODD) << DIV_SHIFT) - AW'(1);
  localparam logic signed [THR_W-1:0] NEVER_HI = {1'b0, {(THR_W-1){1'b1}}};
  localparam logic signed [THR_W-1:0] NEVER_LO = {1'b1, {(THR_W-1){1'b0}}};

  initial begin
    if (N != 3600) $fatal(1, "ecg_bnn_thr_scale: the divider is built for F*N = 225*2^18 (N = 3600)");
    if (THR_W != 24) $fatal(1, "ecg_bnn_thr_scale: THR_W must be 24 (the ROM threshold width)");
  end

  typedef enum logic [2:0] {ST_IDLE, ST_MUL, ST_WS, ST_LAST, ST_DIV, ST_STORE} state_e;
  state_e state_q;

  logic                    lo_pass_q;   // 0: hi' (ceiling), 1: lo' (floor)
  logic [5:0]              step_q;      // bit of r (Horner), then quotient bit (division)
  logic                    ph_q;        // Horner step: 0 low half, 1 high half and update
  logic [SPLIT:0]          lo_sum_q;    // the low half's sum and carry (registered in ph_q = 0)
  logic [AW-1:0]           acc_q;
  logic [7:0]              rem_q;
  logic signed [THR_W-1:0] hi, lo;
  logic signed [3:0]       ws_q;
  // ws shifts out MSB first; r's bits are picked by the step counter (r_i is held), but only
  // into the next step's select flip-flop (sel_thr_q), so that multiplexer is not in front of
  // the adder (a step-indexed digit select there was the IP's critical path)
  logic [3:0]              ws_sh_q;
  logic [31:0]             r_prev;   // r_prev[s] = r_i[s-1]: the bit of the step after step s
  assign r_prev = {4'b0, r_i, 1'b0};

  // ws = 2*popcount(w) - 7 in [-7, 7]
  logic [2:0] popcount;
  always_comb begin
    popcount = '0;
    for (int k = 0; k < 7; k++) popcount = popcount + 3'(w_i[k]);
  end

  // the Horner step: acc*2 + digit (+ carry-in for a negated digit), via an extra low bit.
  // The digits, step by step: ST_MUL (hi or lo, MSB of r first) thr_sel where r's bit is set;
  // ST_WS (ws, MSB first) S1*2^18 where ws's bit is set, negated for the sign bit (it weighs -8);
  // ST_LAST 32*F*N - 1 in the ceiling pass; else 0. sel_*_q: the current step's one-hot select
  // of thr_sel, S1*2^18, -S1*2^18 (~x with carry-in) or 32*F*N - 1 (none set: digit 0), loaded
  // with next_*, the next step's, when a pass starts and when a step ends.
  logic                    sel_thr_q, sel_s1_q, sel_ns1_q, sel_ceil_q;
  logic                    next_thr, next_s1, next_ns1, next_ceil;
  logic [AW-1:0]           digit, add_sum;
  logic                    add_cin;
  logic [AW:0]             add_wide;
  logic signed [THR_W-1:0] thr_sel;
  logic signed [AW-1:0]    s1_digit;
  assign hi       = thr_i[2*THR_W-1:THR_W];
  assign lo       = thr_i[THR_W-1:0];
  assign thr_sel  = lo_pass_q ? lo : hi;
  assign s1_digit = AW'(s1_i) <<< WS_SHIFT;
  assign digit    = ({AW{sel_thr_q}} & AW'(thr_sel)) | ({AW{sel_s1_q}} & s1_digit)
                  | ({AW{sel_ns1_q}} & ~s1_digit) | ({AW{sel_ceil_q}} & CEIL_LAST);
  assign add_cin  = sel_ns1_q;
  // the next step's select: a pass's first step (hi, or lo after the store), the next bit of r,
  // ws's sign bit first (negated), its other bits, the last step (the ceiling pass's constant)
  assign next_thr  = ((state_q == ST_IDLE || state_q == ST_STORE) && r_i[26])
                     || (state_q == ST_MUL && step_q != 6'd0 && r_prev[step_q[4:0]]);
  assign next_ns1  = (state_q == ST_MUL) && step_q == 6'd0 && ws_q[3];
  assign next_s1   = (state_q == ST_WS) && step_q != 6'd0 && ws_sh_q[2];
  assign next_ceil = (state_q == ST_WS) && step_q == 6'd0 && !lo_pass_q;
  // {acc, 0, 1} + {digit, cin} in two halves: the low one in the cycle with ph_q = 0, the high
  // one with its registered carry in the next
  logic [AW:0]       add_a, add_b;
  logic [SPLIT:0]    lo_sum;
  logic [AW-SPLIT:0] hi_sum;
  logic [AW-1:0]     acc_dbl;
  assign add_a    = {acc_q[AW-2:0], 1'b0, 1'b1};
  assign add_b    = {digit, add_cin};
  logic [31:0] lo_add, hi_add;
  ecg_bnn_add32 u_lo_add (
    .a_i(32'(add_a[SPLIT-1:0])), .b_i(32'(add_b[SPLIT-1:0])), .sum_o(lo_add)
  );
  // the low half's carry enters as the low bit pair {1, carry}: 1 + carry carries into bit 1
  // exactly when carry = 1, so sum >> 1 adds it (the adder has no carry-in of its own)
  ecg_bnn_add32 u_hi_add (
    .a_i(32'({add_a[AW:SPLIT], 1'b1})), .b_i(32'({add_b[AW:SPLIT], lo_sum_q[SPLIT]})),
    .sum_o(hi_add)
  );
  assign lo_sum   = lo_add[SPLIT:0];
  assign hi_sum   = hi_add[AW-SPLIT+1:1];
  assign add_wide = {hi_sum, lo_sum_q[SPLIT-1:0]};
  assign add_sum  = add_wide[AW:1];
  assign acc_dbl  = {acc_q[AW-2:0], 1'b0};  // the division's doubling (digit 0)

  // restoring division step by 225 on acc[48:12] (shifted left, quotient bits enter at bit 12)
  logic [8:0] div_t;
  logic       div_ge;
  assign div_t  = {rem_q, acc_q[AW-1]};
  assign div_ge = (div_t >= 9'(DIV_ODD));

  // quotient - 2^26 (signed 27 bits) clamped to THR_W bits; a "never" input stays "never"
  // (the clamp's constants serve both)
  logic signed [QW-1:0]    quot;
  logic signed [THR_W-1:0] clamped;
  logic                    never;
  assign quot  = {~acc_q[DIV_SHIFT+Q_OFF], acc_q[DIV_SHIFT+Q_OFF-1:DIV_SHIFT]};
  assign never = lo_pass_q ? (lo == NEVER_LO) : (hi == NEVER_HI);
  always_comb begin
    if ((never && !lo_pass_q) || quot > QW'(NEVER_HI))     clamped = NEVER_HI;
    else if ((never && lo_pass_q) || quot < QW'(NEVER_LO)) clamped = NEVER_LO;
    else                                                   clamped = THR_W'(quot);
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= ST_IDLE;
    end else begin
      case (state_q)
        ST_IDLE:  if (start_i) state_q <= ST_MUL;
        ST_MUL:   if (ph_q && step_q == 6'd0) state_q <= ST_WS;
        ST_WS:    if (ph_q && step_q == 6'd0) state_q <= ST_LAST;
        ST_LAST:  if (ph_q) state_q <= ST_DIV;
        ST_DIV:   if (step_q == 6'd0) state_q <= ST_STORE;
        ST_STORE: state_q <= lo_pass_q ? ST_IDLE : ST_MUL;
        default:  state_q <= ST_IDLE;
      endcase
    end
  end

  // the Horner steps' phase (reset with the FSM: it decides the FSM's steps)
  always_ff @(posedge clk_i) begin
    if (!rst_ni) ph_q <= 1'b0;
    else         ph_q <= (state_q == ST_MUL || state_q == ST_WS || state_q == ST_LAST) && !ph_q;
  end
  always_ff @(posedge clk_i) begin
    if (!ph_q) lo_sum_q <= lo_sum;
  end
  // the next step's digit select: loaded where a pass starts and where a Horner step ends
  always_ff @(posedge clk_i) begin
    if ((state_q == ST_IDLE && start_i) || state_q == ST_STORE
        || ((state_q == ST_MUL || state_q == ST_WS) && ph_q)) begin
      sel_thr_q  <= next_thr;
      sel_s1_q   <= next_s1;
      sel_ns1_q  <= next_ns1;
      sel_ceil_q <= next_ceil;
    end
  end

  // datapath (no reset: every operation starts from start_i); a Horner step updates in its
  // second cycle (ph_q = 1)
  always_ff @(posedge clk_i) begin
    case (state_q)
      ST_IDLE: begin
        if (start_i) begin
          ws_q      <= 4'($signed({1'b0, popcount, 1'b0}) - 5'sd7);
          lo_pass_q <= 1'b0;
          step_q    <= 6'd26;
          acc_q     <= ACC_INIT;
        end
      end
      ST_MUL: begin
        if (ph_q) begin
          acc_q   <= add_sum;
          ws_sh_q <= ws_q;
          if (step_q == 6'd0) step_q <= 6'd3;
          else                step_q <= step_q - 6'd1;
        end
      end
      ST_WS: begin
        if (ph_q) begin
          acc_q   <= add_sum;
          ws_sh_q <= ws_sh_q << 1;
          if (step_q != 6'd0) step_q <= step_q - 6'd1;
        end
      end
      ST_LAST: begin
        if (ph_q) begin
          acc_q  <= add_sum;
          rem_q  <= '0;
          step_q <= 6'(QBITS - 1);
        end
      end
      ST_DIV: begin
        acc_q <= {acc_dbl[AW-1:DIV_SHIFT+1], div_ge, acc_dbl[DIV_SHIFT-1:0]};
        rem_q <= div_ge ? 8'(div_t - 9'(DIV_ODD)) : div_t[7:0];
        if (step_q != 6'd0) step_q <= step_q - 6'd1;
      end
      ST_STORE: begin
        lo_pass_q <= 1'b1;
        step_q    <= 6'd26;
        acc_q     <= ACC_INIT;
      end
      default: ;
    endcase
  end

  logic done_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) done_q <= 1'b0;
    else         done_q <= (state_q == ST_STORE) && lo_pass_q;
  end

  assign busy_o = (state_q != ST_IDLE);
  assign done_o = done_q;
  assign hi_we_o = (state_q == ST_STORE) && !lo_pass_q;
  assign lo_we_o = (state_q == ST_STORE) && lo_pass_q;
  assign thr_o   = clamped;

  logic unused;
  assign unused = ^{step_q[5], acc_q[DIV_SHIFT-1:0], acc_q[AW-1:DIV_SHIFT+Q_OFF+1], div_t[8],
                    add_wide[0], acc_dbl[DIV_SHIFT], lo_add[31:SPLIT+1], hi_add[31:AW-SPLIT+2],
                    hi_add[0]};

  // ---------------------------------------------------------------- properties
  // Handshake: a start is taken only while idle; every taken start ends in exactly one done_o
  // (busy_o from the cycle after the start until done_o; the latency is checked in tb/).
`ifdef ECG_BNN_CHECKS
  logic               f_rst_q, f_started_q;
  logic [27:0]        f_s1_q;
  logic [26:0]        f_r_q;
  logic [2*THR_W-1:0] f_thr_q;
  logic               f_busy_q;
  logic               horner, f_cin;
  logic [AW-1:0]      f_digit;
  assign horner = (state_q == ST_MUL || state_q == ST_WS || state_q == ST_LAST);
  // (continuous assignments: Icarus 11 has no constant bit selects in always_comb)
  assign f_cin   = (state_q == ST_WS) && ws_sh_q[3] && (step_q[1:0] == 2'd3);
  assign f_digit = (state_q == ST_MUL && r_prev[step_q[4:0] + 5'd1]) ? AW'(thr_sel)
                 : (state_q == ST_WS && ws_sh_q[3])   ? (f_cin ? ~s1_digit : s1_digit)
                 : (state_q == ST_LAST && !lo_pass_q) ? CEIL_LAST
                 : '0;
  always @(posedge clk_i) begin
    f_rst_q  <= !rst_ni;
    f_s1_q   <= s1_i;
    f_r_q    <= r_i;
    f_thr_q  <= thr_i;
    f_busy_q <= rst_ni && busy_o;
    if (!rst_ni)                     f_started_q <= 1'b0;
    else if (start_i && !busy_o)     f_started_q <= 1'b1;
    else if (done_o)                 f_started_q <= 1'b0;
  end
`endif
  // the window constants are held while the unit works (the front end's, until block 1 ends)
  `ECG_BNN_ASSUME(ScaleWindowHeld, !busy_o || (s1_i == f_s1_q && r_i == f_r_q))
  // the threshold register is read in place: it changes only by the unit's own write of hi'
  // (the cycle after the start it may still take its ROM word)
  `ECG_BNN_ASSUME(ScaleWordHeld, !(busy_o && f_busy_q) || (lo == f_thr_q[THR_W-1:0]
                                 && (lo_pass_q || hi == f_thr_q[2*THR_W-1:THR_W])))
  `ECG_BNN_ASSERT(ScaleIdleAfterReset, !f_rst_q || (!busy_o && !done_o))
  // the prefetched select picks the step's own digit: the one the FSM state selects directly
  `ECG_BNN_ASSERT(ScaleDigitPrefetched, !horner || (digit == f_digit && add_cin == f_cin))
  `ECG_BNN_ASSERT(ScaleStateLegal, state_q <= ST_STORE && (state_q == ST_IDLE || step_q <= 6'(QBITS - 1)))
  // each Horner state counts its own steps (27 over r, 4 over ws, 1 last); no phase outside them
  `ECG_BNN_ASSERT(ScaleStepRange, (state_q != ST_MUL || step_q <= 6'd26)
                                  && (state_q != ST_WS || step_q <= 6'd3)
                                  && (state_q != ST_LAST || step_q == 6'd0) && (!ph_q || horner))
  `ECG_BNN_ASSERT(ScaleDoneOnlyWhenStarted, !done_o || (f_started_q && !busy_o))
  `ECG_BNN_ASSERT(ScaleBusyOnlyWhenStarted, !busy_o || f_started_q)
  `ECG_BNN_ASSERT(ScaleBusyUntilDone, !f_started_q || done_o || busy_o)
  `ECG_BNN_COVER(ScaleDone, done_o)

endmodule

`default_nettype wire
