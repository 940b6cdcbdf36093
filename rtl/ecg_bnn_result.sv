// ecg_bnn_result: block-6 scores, argmax and the result output register.
// For each class in order 0..NUM_CLASSES-1 the engine hands over S_pos and S_neg (calc_i); the
// unit takes the class's {C, B, A} from the parameter stream (coef_re_o with calc_i, coef_i the
// cycle after, as a ROM read: ecg_bnn_unpack) and computes score = A*S_pos + B*S_neg + C with one
// pipelined 16x16 multiply-accumulate (6 cycles per class; on the iCE40 one SB_MAC16: operand,
// product and accumulator registers all inside the DSP block), shifts the score into the output
// register and keeps the running argmax (strictly greater wins, so ties go to the lowest
// index). finish_i raises m_valid_o with tdata = {scores, 5'b0, clipped, low, flat, class}
// (the window's input flags, docs/input_contract.md: the class is void when any is set). The output
// register is the result slot: the engine starts a window's block 6 only while slot_free_o.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_result #(
  parameter int NUM_CLASSES = 5
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic                          clear_i,   // new window (only while slot_free_o)
  input  logic                          calc_i,    // score the next class (only while !busy_o)
  input  logic signed [15:0]            s_pos_i,   // the class's sums: from calc_i until !busy_o
  input  logic signed [15:0]            s_neg_i,   // (read in place, the lane's registers)
  output logic                          coef_re_o, // read the class's coefficients (with calc_i)
  input  logic [63:0]                   coef_i,    // {C, B, A}: the cycle after coef_re_o (B: 2)
  output logic                          busy_o,
  input  logic                          finish_i,  // all classes scored: present the result
  input  logic [2:0]                    flags_i,   // {clipped, low, flat}, taken with finish_i
  output logic                          slot_free_o,
  output logic [16+32*NUM_CLASSES-1:0]  m_data_o,
  output logic                          m_valid_o,
  input  logic                          m_ready_i
);

  initial begin
    if (NUM_CLASSES < 2 || NUM_CLASSES > 255)
      $fatal(1, "ecg_bnn_result: NUM_CLASSES must lie in [2, 255]");
  end

  typedef enum logic [2:0] {ST_IDLE, ST_ROM, ST_MUL_A, ST_MUL_B, ST_ADD, ST_PUSH} state_e;
  state_e state_q;

  logic [7:0]                cls_q;       // next class to score
  logic signed [31:0]        best_n_q;    // ~(the best score so far) = -best - 1
  logic [7:0]                best_idx_q;
  logic [32*NUM_CLASSES-1:0] scores_q;
  logic [2:0]                flags_q;
  logic                      valid_q;
  // the multiply-accumulate: plain registers without enable or reset, so that Yosys'
  // ice40_dsp folds all of them into one SB_MAC16 (operand registers A/B, the 16x16 pipeline
  // register, the accumulator with its load from C/D)
  logic signed [15:0]        op_a_q, op_b_q;  // A, S_pos in ST_MUL_A; B, S_neg in ST_MUL_B; else 0
  logic signed [31:0]        prod_q;          // op_a_q * op_b_q, one cycle later
  logic signed [31:0]        acc_q;           // C (loaded in ST_ROM) + the products

  assign coef_re_o = calc_i && state_q == ST_IDLE;

  // ST_ROM: C into the accumulator, A*S_pos into the operands; ST_MUL_A: B*S_neg into the
  // operands (B read in place: the unpacker holds it one cycle longer); zero operands
  // otherwise, so the accumulator adds A*S_pos at the end of ST_MUL_B, B*S_neg at the end of
  // ST_ADD and nothing else (the score waits in acc_q in ST_PUSH)
  always_ff @(posedge clk_i) begin
    op_a_q <= (state_q == ST_ROM) ? coef_i[15:0] : (state_q == ST_MUL_A) ? coef_i[31:16] : '0;
    op_b_q <= (state_q == ST_ROM) ? s_pos_i : (state_q == ST_MUL_A) ? s_neg_i : '0;
    prod_q <= op_a_q * op_b_q;
    acc_q  <= (state_q == ST_ROM) ? coef_i[63:32] : acc_q + prod_q;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= ST_IDLE;
      cls_q   <= '0;
      valid_q <= 1'b0;
    end else begin
      if (clear_i) cls_q <= '0;
      case (state_q)
        ST_IDLE:  if (calc_i) state_q <= ST_ROM;
        ST_ROM:   state_q <= ST_MUL_A;
        ST_MUL_A: state_q <= ST_MUL_B;
        ST_MUL_B: state_q <= ST_ADD;
        ST_ADD:   state_q <= ST_PUSH;
        ST_PUSH: begin
          state_q <= ST_IDLE;
          cls_q   <= cls_q + 8'd1;
        end
        default:  state_q <= ST_IDLE;
      endcase
      if (finish_i) valid_q <= 1'b1;
      else if (m_ready_i) valid_q <= 1'b0;
    end
  end

  // acc > best exactly when acc + ~best = acc - best - 1 >= 0: the best score is kept inverted,
  // so the compare's carry chain adds two registers (no inverter LUT per bit in front of it;
  // the inversion packs with the flip-flops)
  logic signed [32:0] beat;
  assign beat = 33'(acc_q) + 33'(best_n_q);  // only the sign is used

  logic unused;
  assign unused = ^beat[31:0];

  always_ff @(posedge clk_i) begin
    if (state_q == ST_PUSH) begin
      scores_q <= {acc_q, scores_q[32*NUM_CLASSES-1:32]};
      if (cls_q == 8'd0 || !beat[32]) begin
        best_n_q   <= ~acc_q;
        best_idx_q <= cls_q;
      end
    end
    if (finish_i) flags_q <= flags_i;
  end

  assign busy_o      = (state_q != ST_IDLE);
  assign slot_free_o = !valid_q;
  assign m_valid_o   = valid_q;
  assign m_data_o    = {scores_q, 5'd0, flags_q, best_idx_q};

  // ---------------------------------------------------------------- properties
`ifdef ECG_BNN_CHECKS
  logic                         f_rst_q, f_stall_q, f_fin_q, f_valid_q, f_hs_q;
  logic [16+32*NUM_CLASSES-1:0] f_data_q;
  logic [31:0]                  f_sums_q;
  logic [15:0]                  f_b_q;
  always @(posedge clk_i) begin
    f_rst_q   <= !rst_ni;
    f_stall_q <= rst_ni && m_valid_o && !m_ready_i;
    f_fin_q   <= rst_ni && finish_i;
    f_valid_q <= rst_ni && m_valid_o;
    f_hs_q    <= rst_ni && m_valid_o && m_ready_i;
    f_data_q  <= m_data_o;
    f_sums_q  <= {s_pos_i, s_neg_i};
    f_b_q     <= coef_i[31:16];
  end
`endif
  // the engine's side of the handshake: a window is cleared, scored and finished only while the
  // result slot is free and the unit idle
  `ECG_BNN_ASSUME(ResClearWhenFree, !clear_i || (slot_free_o && !busy_o))
  `ECG_BNN_ASSUME(ResCalcWhenFree, !calc_i || (slot_free_o && !busy_o))
  // the class's sums are read in place: held from calc_i while the class is scored
  `ECG_BNN_ASSUME(ResSumsHeld, !busy_o || {s_pos_i, s_neg_i} == f_sums_q)
  // the class's B is read in place too: held from the coefficient read (ST_ROM) into ST_MUL_A
  `ECG_BNN_ASSUME(ResCoefBHeld, state_q != ST_MUL_A || coef_i[31:16] == f_b_q)
  `ECG_BNN_ASSUME(ResFinishWhenFree, !finish_i || (slot_free_o && !busy_o && !calc_i))
  // AXI4-Stream rules on the result: low after reset, held until taken, data stable meanwhile
  `ECG_BNN_ASSERT(ResIdleAfterReset, !f_rst_q || (!m_valid_o && state_q == ST_IDLE))
  `ECG_BNN_ASSERT(ResValidHeld, !f_stall_q || m_valid_o)
  `ECG_BNN_ASSERT(ResDataStable, !f_stall_q || m_data_o == f_data_q)
  // exactly one beat per finished window: valid rises only on a finish, and always does
  `ECG_BNN_ASSERT(ResBeatOnlyOnFinish, f_valid_q || !m_valid_o || f_fin_q)
  `ECG_BNN_ASSERT(ResBeatOnFinish, !f_fin_q || m_valid_o)
  `ECG_BNN_ASSERT(ResBeatOnce, !f_hs_q || !m_valid_o)
  `ECG_BNN_ASSERT(ResStateLegal, state_q <= ST_PUSH)
  `ECG_BNN_ASSERT(ResIdleWhileFull, !valid_q || state_q == ST_IDLE)
  `ECG_BNN_COVER(ResStallTaken, f_stall_q && m_valid_o && m_ready_i)
  `ECG_BNN_COVER(ResScoredBeat, f_fin_q && cls_q != 8'd0)

endmodule

`default_nettype wire
