// ecg_bnn_conv1_pe: one processing element of block 1 (raw samples, binary weights).
// The 7-tap sum of a conv window with the signs of the channel's weights,
//   acc1 = sum_k (w[k] ? +x[n-6+k] : -x[n-6+k])      (signed, ACC_W bits)
// where x[n] is the input position that ends the window (tap 6) and x[n-6] its first (tap 0): a
// signed 16-bit sample or, outside the window, the window's pad value P (signed 17 bits).
// |acc1| <= 7 * 2^16 < 2^19.
// Transposed form: no tap line. Every input position that shift_i takes is added at once into
// six registered partial sums, r[k] = sum_{i<k} w~[i] x[n-k+1+i] (w~ = +-1), each by one adder,
//   r[1] = w~[0] x[n],   r[k+1] = r[k] (of x[n-1]) + w~[k] x[n],   acc1 = r[6] + w~[6] x[n].
// A subtraction is an addition between inversions (r - x = ~(~r + x), exact in two's
// complement), so each register holds r[k] ^ inv[k] (inv[k]: all ones where w[k] = 0), the form
// its adder takes: every adder adds x to a register, and the inversion between two registers
// folds into the adder's sum LUT (its free fourth input), because its control w[k] ^ w[k+1] is
// a net of its own (part_inv). The sum is the direct form's exactly when the weights were the
// same for the window's 7 shifts: the engine shifts at least 7 pads into the sums after loading
// a channel's weights, before its first window (Conv1WeightsSettled).
// Two register stages (LATENCY, checked by Conv1Latency): the input position (x_i fans out to
// seven adders from a flip-flop), then the partial sums and the window's sum.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_conv1_pe #(
  parameter int X_W     = 17,
  parameter int ACC_W   = 20,
  parameter int LATENCY = 2   // cycles from valid_i to out_valid_o (must be 2)
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    shift_i,  // x_i is the next input position: it enters the sums
  input  logic                    valid_i,  // ... and ends a conv window (only with shift_i)
  input  logic [X_W-1:0]          x_i,      // signed: a sample or the pad value P
  input  logic [6:0]              w_i,      // weight bit k: 1 = +1, 0 = -1
  output logic                    out_valid_o,
  output logic signed [ACC_W-1:0] out_o
);

  initial begin
    if (ACC_W < X_W + 3) $fatal(1, "ecg_bnn_conv1_pe: ACC_W must hold 7 taps (>= X_W + 3)");
    if (LATENCY != 2) $fatal(1, "ecg_bnn_conv1_pe: the sum has two register stages: LATENCY must be 2 (got %0d)", LATENCY);
  end

  // stage 1: the input position
  logic             shift_q, v1_q, v_q;
  logic [X_W-1:0]   x_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      shift_q <= 1'b0;
      v1_q    <= 1'b0;
      v_q     <= 1'b0;
    end else begin
      shift_q <= shift_i;
      v1_q    <= valid_i;
      v_q     <= v1_q;
    end
  end
  always_ff @(posedge clk_i) begin
    if (shift_i) x_q <= x_i;
  end

  // stage 2: t[k] = (r[k] ^ inv[k]) + x, r[k+1] = t[k] ^ inv[k]; stage 0 adds x to inv[0]
  // (x - 1 where w[0] = 0: ~(x - 1) = -x). Word k of a packed vector is [k*ACC_W +: ACC_W].
  logic [ACC_W-1:0]   xs;
  logic [6*ACC_W-1:0] parts_q;  // word k-1: r[k] ^ inv[k] (k = 1..6)
  logic [7*ACC_W-1:0] t;
  logic [ACC_W-1:0]   win_sum;  // acc1 of the window that ends with x (when v1_q)
  // the inversion between words k and k+1 (w[k] ^ w[k+1]) as a net of its own: each bit's
  // inversion then folds into its adder's LUT (sum ^ inv: the LUT's free fourth input), where a
  // function of two weight bits would need a LUT per bit of its own (-120 SB_LUT4)
  (* keep *) logic [5:0] part_inv;
  for (genvar k = 0; k < 6; k++) begin : g_inv
    assign part_inv[k] = w_i[k] ^ w_i[k+1];
  end
  assign xs = ACC_W'($signed(x_q));
  assign t[0 +: ACC_W] = {ACC_W{!w_i[0]}} + xs;
  for (genvar k = 1; k < 7; k++) begin : g_add
    assign t[k*ACC_W +: ACC_W] = parts_q[(k-1)*ACC_W +: ACC_W] + xs;
  end
  assign win_sum = t[6*ACC_W +: ACC_W] ^ {ACC_W{!w_i[6]}};
  always_ff @(posedge clk_i) begin
    if (shift_q) begin
      for (int k = 0; k < 6; k++)
        parts_q[k*ACC_W +: ACC_W] <= t[k*ACC_W +: ACC_W] ^ {ACC_W{part_inv[k]}};
    end
    if (v1_q) out_o <= win_sum;
  end

  assign out_valid_o = v_q;

  // ---------------------------------------------------------------- properties
  // a sum comes exactly LATENCY cycles after its window's last position, and only then
`ifdef ECG_BNN_CHECKS
  logic [LATENCY-1:0] f_valid_q;  // bit i: a window ended i+1 cycles ago
  always @(posedge clk_i) f_valid_q <= rst_ni ? LATENCY'({f_valid_q, valid_i}) : '0;
  // The plain transposed form beside it (signed +-x, no inversions; f_ref word k-1 is r[k]),
  // and the direct form: the last 6 positions taken in stage 2 (word 5 the newest) with the
  // window's end. The weights of the last cycle and how many shifts in a row (at most 7) used
  // them tell which partial sums are the present weights'.
  logic [6*ACC_W-1:0] f_ref_q;
  logic [6*X_W-1:0]   f_prev_q;
  logic [6:0]         f_w_q;
  logic [2:0]         f_run_q, f_run;
  logic [7*ACC_W-1:0] f_term;    // word k: w~[k] x
  logic               f_settled;
  for (genvar k = 0; k < 7; k++) begin : g_f_term
    assign f_term[k*ACC_W +: ACC_W] = w_i[k] ? xs : -xs;
  end
  logic [6*ACC_W-1:0] f_ref_next;  // r[1] = w~[0] x, r[k+1] = r[k] + w~[k] x
  assign f_ref_next[0 +: ACC_W] = f_term[0 +: ACC_W];
  for (genvar k = 1; k < 6; k++) begin : g_f_ref
    assign f_ref_next[k*ACC_W +: ACC_W] = f_ref_q[(k-1)*ACC_W +: ACC_W] + f_term[k*ACC_W +: ACC_W];
  end
  assign f_run = (w_i != f_w_q) ? 3'(shift_q)
               : (shift_q && f_run_q != 3'd7) ? f_run_q + 3'd1 : f_run_q;
  assign f_settled = shift_q && (w_i == f_w_q) && f_run_q >= 3'd6;
  always @(posedge clk_i) begin
    f_w_q   <= w_i;
    f_run_q <= rst_ni ? f_run : 3'd0;
    if (shift_q) begin
      f_prev_q <= {x_q, f_prev_q[6*X_W-1:X_W]};
      f_ref_q  <= f_ref_next;
    end
  end
  // the direct form: sum over k of w~[k] times position n-6+k (word 5-j of f_prev_q is n-1-j)
  logic [7*ACC_W-1:0] f_chain;  // word i: the first i terms
  assign f_chain[0 +: ACC_W] = '0;
  for (genvar i = 0; i < 6; i++) begin : g_f_direct
    logic [ACC_W-1:0] f_x;
    assign f_x = ACC_W'($signed(f_prev_q[i*X_W +: X_W]));
    assign f_chain[(i+1)*ACC_W +: ACC_W] = f_chain[i*ACC_W +: ACC_W] + (w_i[i] ? f_x : -f_x);
  end
  logic [ACC_W-1:0] f_direct;
  assign f_direct = f_chain[6*ACC_W +: ACC_W] + f_term[6*ACC_W +: ACC_W];
`endif
  `ECG_BNN_ASSERT(Conv1Latency, out_valid_o == f_valid_q[LATENCY-1])
  // stage 1 holds exactly the position of a window's end taken a cycle ago (Conv1Latency)
  `ECG_BNN_ASSERT(Conv1Stage1, v1_q == f_valid_q[0])
  `ECG_BNN_ASSUME(Conv1ShiftWithValid, !valid_i || shift_i)
  // the weights are the same for the 7 positions of every window (the engine's schedule)
  `ECG_BNN_ASSUME(Conv1WeightsSettled, !v1_q || f_settled)
  // each partial sum is the plain transposed form's once its k positions were added with these
  // weights (one step of k-induction each: the inversions are exact), hence the window's sum
  // (conv1/prove); and that is the direct form's, the same seven terms re-associated
  // (Conv1DirectForm: every simulation; the solver does not close it in minutes)
  // (one assertion per partial sum, written out: Yosys rejects same-named assertions in a
  // generate loop, and a failing proof should name the partial sum)
  `ECG_BNN_ASSERT(Conv1Part1, f_run_q < 3'd1 || (parts_q[0*ACC_W +: ACC_W] ^ {ACC_W{!f_w_q[1]}})
                  == f_ref_q[0*ACC_W +: ACC_W])
  `ECG_BNN_ASSERT(Conv1Part2, f_run_q < 3'd2 || (parts_q[1*ACC_W +: ACC_W] ^ {ACC_W{!f_w_q[2]}})
                  == f_ref_q[1*ACC_W +: ACC_W])
  `ECG_BNN_ASSERT(Conv1Part3, f_run_q < 3'd3 || (parts_q[2*ACC_W +: ACC_W] ^ {ACC_W{!f_w_q[3]}})
                  == f_ref_q[2*ACC_W +: ACC_W])
  `ECG_BNN_ASSERT(Conv1Part4, f_run_q < 3'd4 || (parts_q[3*ACC_W +: ACC_W] ^ {ACC_W{!f_w_q[4]}})
                  == f_ref_q[3*ACC_W +: ACC_W])
  `ECG_BNN_ASSERT(Conv1Part5, f_run_q < 3'd5 || (parts_q[4*ACC_W +: ACC_W] ^ {ACC_W{!f_w_q[5]}})
                  == f_ref_q[4*ACC_W +: ACC_W])
  `ECG_BNN_ASSERT(Conv1Part6, f_run_q < 3'd6 || (parts_q[5*ACC_W +: ACC_W] ^ {ACC_W{!f_w_q[6]}})
                  == f_ref_q[5*ACC_W +: ACC_W])
  `ECG_BNN_ASSERT(Conv1Sum,
                  !v1_q || win_sum == f_ref_q[5*ACC_W +: ACC_W] + f_term[6*ACC_W +: ACC_W])
  `ECG_BNN_ASSERT(Conv1DirectForm, !v1_q || win_sum == f_direct)
  // a window's sum with settled, mixed weights is reachable
  `ECG_BNN_COVER(Conv1SettledSum, v1_q && f_settled && w_i != 7'h00 && w_i != 7'h7f)

endmodule

`default_nettype wire
