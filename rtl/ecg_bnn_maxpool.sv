// ecg_bnn_maxpool: streaming max pool, window 7, stride 2, over conv outputs x[0], x[1], ...
// of one channel: out[j] = max x[2j .. 2j+6]. Keeps the last three pair maxima
// u[i] = max(x[2i], x[2i+1]) and the pending even value; out[j] = max(u[j], u[j+1], u[j+2],
// x[2j+6]) is emitted when x[2j+6] arrives. clear_i starts a new channel (and drops an input
// still in the pipeline). The input is registered first (the lane's block-1 / blocks 2-6 select
// and the PEs' output routing in front of the comparisons were the placed IP's critical path),
// and the four-way max takes two stages, max(u[j+1], u[j+2]) and max(u[j], x[2j+6]) in the first
// and their max in the second (two comparisons in series were the critical path after that),
// so out_valid_o follows the completing input by three cycles.
// LATENCY states these three register stages for the pipeline that instantiates the pool
// (ecg_bnn_engine sums its stages' latencies into its drain); PoolLatency checks it.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_maxpool #(
  parameter int W       = 18,  // signed value width
  parameter int LATENCY = 3    // cycles from the input that completes a window to out_valid_o (must be 3)
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                clear_i,
  input  logic                valid_i,
  input  logic signed [W-1:0] x_i,
  output logic                out_valid_o,
  output logic signed [W-1:0] out_o
);

  initial begin
    if (LATENCY != 3) $fatal(1, "ecg_bnn_maxpool: input, half maxima and output are registered: LATENCY must be 3 (got %0d)", LATENCY);
  end

  // Some values are kept inverted (~v = -v - 1; names ending in _n): a comparison of a true
  // value a with an inverted one ~b is the sign of a + ~b = a - b - 1 (a > b when it is >= 0),
  // two registers into a carry chain with no inverter LUT per bit in front of it. Where both
  // sides come from a maximum's multiplexer the inversion is free (it folds into that LUT); the
  // pair maxima pass through a shift (u1, u2: copies, one polarity), so that comparison keeps
  // its inverters.
  logic                odd_q;     // the next input has an odd index
  logic [1:0]          npair_q;   // completed pairs, saturating at 3
  logic signed [W-1:0] even_q, u0_n_q, u1_n_q, u2_n_q;
  logic signed [W-1:0] m12_q, m0x_n_q;  // the output's two halves: max(u1, u2), ~max(u0, x)
  logic                h_q, v_q;        // the halves (h_q), the output (v_q) hold a window's max
  logic                xv_q;
  logic signed [W-1:0] x_q;

  // a > b for a true a and an inverted b_n = ~b
  function automatic logic gt_inv(input logic signed [W-1:0] a, input logic signed [W-1:0] b_n);
    logic signed [W:0] d;
    d = (W+1)'(a) + (W+1)'(b_n);
    gt_inv = !d[W];
  endfunction

  always_ff @(posedge clk_i) begin
    if (!rst_ni || clear_i) xv_q <= 1'b0;
    else                    xv_q <= valid_i;
  end
  always_ff @(posedge clk_i) begin
    if (valid_i) x_q <= x_i;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni || clear_i) begin
      odd_q   <= 1'b0;
      npair_q <= '0;
      h_q     <= 1'b0;
      v_q     <= 1'b0;
    end else begin
      h_q <= xv_q && !odd_q && (npair_q == 2'd3);
      v_q <= h_q;
      if (xv_q) begin
        odd_q <= !odd_q;
        if (odd_q && npair_q != 2'd3) npair_q <= npair_q + 2'd1;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (xv_q) begin
      if (!odd_q) begin
        even_q  <= x_q;
        m12_q   <= (u1_n_q > u2_n_q) ? ~u2_n_q : ~u1_n_q;   // max(u2, u1)
        m0x_n_q <= gt_inv(x_q, u0_n_q) ? ~x_q : u0_n_q;     // ~max(u0, x)
      end else begin
        u2_n_q <= u1_n_q;
        u1_n_q <= u0_n_q;
        u0_n_q <= (even_q > x_q) ? ~even_q : ~x_q;          // ~max(even, x)
      end
    end
    if (h_q) out_o <= gt_inv(m12_q, m0x_n_q) ? m12_q : ~m0x_n_q;
  end

  assign out_valid_o = v_q;

  // ---------------------------------------------------------------- properties
  // an output comes LATENCY cycles after an input (the one that completes its window), never later
`ifdef ECG_BNN_CHECKS
  logic [LATENCY-1:0] f_valid_q;  // bit i: an input was taken i+1 cycles ago
  always @(posedge clk_i) f_valid_q <= rst_ni ? LATENCY'({f_valid_q, valid_i}) : '0;
`endif
  `ECG_BNN_ASSERT(PoolLatency, !out_valid_o || f_valid_q[LATENCY-1])
  // the input register holds only an input taken a cycle ago (makes PoolLatency inductive)
  `ECG_BNN_ASSERT(PoolInput, !xv_q || f_valid_q[0])
  // the halves hold only the maximum of an input taken two cycles ago
  `ECG_BNN_ASSERT(PoolHalves, !h_q || f_valid_q[1])

endmodule

`default_nettype wire
