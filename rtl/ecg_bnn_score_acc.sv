// ecg_bnn_score_acc: block-6 score sums of one class: with y = 2m - 7*C_in for every pooled
// value m, S_pos = sum max(y, 0) and S_neg = sum min(y, 0) (signed 16 bits). clear_i starts a
// new class.
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_score_acc #(
  parameter int W    = 18,   // pooled value width (signed)
  parameter int ROWS = 448   // 7 * C_in of block 6
) (
  input  logic                clk_i,
  input  logic                clear_i,
  input  logic                valid_i,
  input  logic signed [W-1:0] m_i,
  output logic signed [15:0]  s_pos_o,
  output logic signed [15:0]  s_neg_o
);

  logic signed [W:0]  y;
  logic signed [15:0] s_pos_q, s_neg_q;
  assign y = ((W+1)'(m_i) <<< 1) - (W+1)'(ROWS);

  always_ff @(posedge clk_i) begin
    if (clear_i) begin
      s_pos_q <= '0;
      s_neg_q <= '0;
    end else if (valid_i) begin
      if (y >= 0) s_pos_q <= s_pos_q + 16'(y);
      else        s_neg_q <= s_neg_q + 16'(y);
    end
  end

  assign s_pos_o = s_pos_q;
  assign s_neg_o = s_neg_q;

endmodule

`default_nettype wire
