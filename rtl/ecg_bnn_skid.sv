// ecg_bnn_skid: valid/ready register slice with a skid register (two entries). Every output is
// registered: s_ready_o depends only on state, so there is no combinational path from m_ready_i
// to s_ready_o, and full throughput (one beat per cycle) is kept.
`default_nettype none
`timescale 1ns / 1ps

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

endmodule

`default_nettype wire
