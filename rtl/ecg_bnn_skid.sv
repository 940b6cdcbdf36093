// ecg_bnn_skid: valid/ready register slice with a skid register (two entries). Every output is
// registered: s_ready_o depends only on state, so there is no combinational path from m_ready_i
// to s_ready_o, and full throughput (one beat per cycle) is kept.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_skid #(
  parameter int WIDTH = 16
) (
  input  logic             clk_i,
  input  logic             rst_ni,   // synchronous, active low
  input  logic [WIDTH-1:0] s_data_i,
  input  logic             s_valid_i,
  output logic             s_ready_o,
  output logic [WIDTH-1:0] m_data_o,
  output logic             m_valid_o,
  input  logic             m_ready_i
);

  logic [WIDTH-1:0] out_data_q, skid_data_q;
  logic             out_valid_q, skid_valid_q;

  assign s_ready_o = !skid_valid_q;
  assign m_data_o  = out_data_q;
  assign m_valid_o = out_valid_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      out_valid_q  <= 1'b0;
      skid_valid_q <= 1'b0;
    end else if (m_ready_i || !out_valid_q) begin
      if (skid_valid_q) begin
        out_valid_q  <= 1'b1;
        skid_valid_q <= 1'b0;
      end else begin
        out_valid_q <= s_valid_i;
      end
    end else if (s_valid_i && !skid_valid_q) begin
      skid_valid_q <= 1'b1;
    end
  end

  always_ff @(posedge clk_i) begin
    if (m_ready_i || !out_valid_q) begin
      if (skid_valid_q)   out_data_q <= skid_data_q;
      else if (s_valid_i) out_data_q <= s_data_i;
    end else if (s_valid_i && !skid_valid_q) begin
      skid_data_q <= s_data_i;
    end
  end

  // ---------------------------------------------------------------- properties
`ifdef ECG_BNN_CHECKS
  logic             f_rst_q, f_stall_q;
  logic [WIDTH-1:0] f_data_q;
  always @(posedge clk_i) begin
    f_rst_q   <= !rst_ni;
    f_stall_q <= rst_ni && m_valid_o && !m_ready_i;
    f_data_q  <= m_data_o;
  end
`endif
  // AXI4-Stream rules on the output: valid low after reset, held until the handshake, data stable
  `ECG_BNN_ASSERT(SkidValidLowAfterReset, !f_rst_q || (!m_valid_o && s_ready_o))
  `ECG_BNN_ASSERT(SkidValidHeld, !f_stall_q || m_valid_o)
  `ECG_BNN_ASSERT(SkidDataStable, !f_stall_q || m_data_o == f_data_q)
  // the skid register fills only behind a full output register
  `ECG_BNN_ASSERT(SkidOrder, !skid_valid_q || out_valid_q)
  `ECG_BNN_COVER(SkidFull, skid_valid_q && m_ready_i)
  `ECG_BNN_COVER(SkidStallHeld, f_stall_q && m_valid_o && m_ready_i)

`ifdef FORMAL
  // Scoreboard (formal only): one arbitrary accepted beat (f_pick is free every cycle) is tracked
  // with the number of beats ahead of it; a lost, duplicated, reordered or corrupted beat fails.
  (* anyseq *) logic f_pick;
  logic             f_armed, f_done;
  logic [1:0]       f_ahead, f_occ;
  logic [WIDTH-1:0] f_token;
  logic             f_s_hs, f_m_hs;
  assign f_s_hs = s_valid_i && s_ready_o;
  assign f_m_hs = m_valid_o && m_ready_i;
  assign f_occ  = {1'b0, out_valid_q} + {1'b0, skid_valid_q};
  always @(posedge clk_i) begin
    if (!rst_ni) begin
      f_armed <= 1'b0;
      f_done  <= 1'b0;
    end else if (f_armed) begin
      if (f_m_hs) begin
        if (f_ahead == 2'd0) begin
          f_armed <= 1'b0;
          f_done  <= 1'b1;
        end else begin
          f_ahead <= f_ahead - 2'd1;
        end
      end
    end else if (!f_done && f_s_hs && f_pick) begin
      f_armed <= 1'b1;
      f_token <= s_data_i;
      f_ahead <= f_occ - {1'b0, f_m_hs};
    end
  end
  `ECG_BNN_ASSERT(SkidTokenInside, !f_armed || f_ahead < f_occ)
  `ECG_BNN_ASSERT(SkidTokenInOrder, !(f_armed && f_ahead == 2'd0) || (m_valid_o && m_data_o == f_token))
  `ECG_BNN_ASSERT(SkidTokenInSkid, !(f_armed && f_ahead == 2'd1) || skid_data_q == f_token)
  `ECG_BNN_COVER(SkidTokenOut, f_done && !f_rst_q)
  `ECG_BNN_COVER(SkidTokenBehind, f_armed && f_ahead == 2'd1 && !m_ready_i)
`endif

endmodule

`default_nettype wire
