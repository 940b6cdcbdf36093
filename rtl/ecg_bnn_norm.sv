// ecg_bnn_norm: window normalisation constants from the window sums (docs/ARCHITECTURE.md):
//   V = N*S2 - S1^2, flat = (V == 0), r = isqrt(V), G = flat ? 0 : floor(2^32 / r).
// N*S2 is a constant shift-and-add, S1^2 a sequential multiply (24 cycles), the square root and
// the reciprocal are restoring (23 + 33 cycles). About 85 cycles from start_i to done_o.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_norm #(
  parameter int N = 3600  // samples per window
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               start_i,  // ignored while busy_o
  input  logic signed [23:0] s1_i,     // sum of samples
  input  logic [33:0]        s2_i,     // sum of squared samples
  output logic               busy_o,
  output logic               done_o,   // one-cycle pulse; g_o and flat_o valid until next start
  output logic [26:0]        g_o,
  output logic               flat_o
);

  localparam int VW = 46;

  // constant multiplication N * S2 as a sum of shifted copies (no multiplier cell)
  function automatic logic [VW-1:0] mul_n(input logic [33:0] x);
    logic [VW-1:0] acc;
    acc = '0;
    for (int i = 0; i < 12; i++) begin
      if (((N >> i) & 1) == 1) acc = acc + (VW'(x) << i);
    end
    mul_n = acc;
  endfunction

  initial begin
    // G = floor(2^32 / r) has 27 bits only when r >= 33, i.e. the smallest non-zero V = N - 1
    // is >= 33^2: N >= 1090.
    if (N < 1090 || N >= 4096) $fatal(1, "ecg_bnn_norm: N must lie in [1090, 4095] (G width)");
  end

  typedef enum logic [2:0] {ST_IDLE, ST_SQUARE, ST_VAR, ST_ROOT, ST_RECIP} state_e;
  state_e state_q;

  logic [VW-1:0] ns2_q, v_q;
  logic          done_q, flat_q;
  logic [26:0]   g_q;

  logic                mul_start, mul_done;
  logic signed [47:0]  sq;
  logic                root_start, root_done;
  logic [22:0]         r;
  logic                recip_start, recip_done;
  logic [26:0]         q;
  logic                mul_busy, root_busy, recip_busy;

  assign mul_start   = (state_q == ST_IDLE) && start_i;
  assign root_start  = (state_q == ST_VAR) && (v_q != '0);
  assign recip_start = (state_q == ST_ROOT) && root_done;

  ecg_bnn_seqmul #(.WA(24), .WB(24)) u_square (
    .clk_i, .rst_ni, .start_i(mul_start), .a_i(s1_i), .b_i(s1_i),
    .busy_o(mul_busy), .done_o(mul_done), .p_o(sq)
  );

  ecg_bnn_isqrt #(.VW(VW)) u_isqrt (
    .clk_i, .rst_ni, .start_i(root_start), .v_i(v_q),
    .busy_o(root_busy), .done_o(root_done), .r_o(r)
  );

  ecg_bnn_recip #(.DW(23), .NUM_SHIFT(32), .QW(27)) u_recip (
    .clk_i, .rst_ni, .start_i(recip_start), .d_i(r),
    .busy_o(recip_busy), .done_o(recip_done), .q_o(q)
  );

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= ST_IDLE;
      done_q  <= 1'b0;
    end else begin
      done_q <= 1'b0;
      case (state_q)
        ST_IDLE:   if (start_i) state_q <= ST_SQUARE;
        ST_SQUARE: if (mul_done) state_q <= ST_VAR;
        ST_VAR: begin
          if (v_q == '0) begin
            done_q  <= 1'b1;
            state_q <= ST_IDLE;
          end else begin
            state_q <= ST_ROOT;
          end
        end
        ST_ROOT:   if (root_done) state_q <= ST_RECIP;
        ST_RECIP: begin
          if (recip_done) begin
            done_q  <= 1'b1;
            state_q <= ST_IDLE;
          end
        end
        default:   state_q <= ST_IDLE;
      endcase
    end
  end

  always_ff @(posedge clk_i) begin
    if (state_q == ST_IDLE && start_i) ns2_q <= mul_n(s2_i);
    if (state_q == ST_SQUARE && mul_done) v_q <= ns2_q - sq[VW-1:0];
    if (state_q == ST_VAR) begin
      flat_q <= (v_q == '0);
      g_q    <= '0;
    end
    if (state_q == ST_RECIP && recip_done) g_q <= q;
  end

  // sq < 2^46 (|S1| < 2^23), so its top bits are zero; the busy flags are implied by state_q.
  logic unused;
  assign unused = ^{sq[47:VW], mul_busy, root_busy, recip_busy};

  assign busy_o = (state_q != ST_IDLE);
  assign done_o = done_q;
  assign g_o    = g_q;
  assign flat_o = flat_q;

  // ---------------------------------------------------------------- properties
`ifdef ECG_BNN_CHECKS
  logic f_rst_q;
  always @(posedge clk_i) f_rst_q <= !rst_ni;
`endif
  `ECG_BNN_ASSERT(NormIdleAfterReset, !f_rst_q || (state_q == ST_IDLE && !done_q))
  `ECG_BNN_ASSERT(NormStateLegal, state_q <= ST_RECIP)
  `ECG_BNN_COVER(NormDone, done_q)

endmodule

`default_nettype wire
