// ecg_bnn_uart_tx: 8N1 UART transmitter with a valid/ready byte input (s_ready_o is high while
// the transmitter is idle; a byte is accepted in a cycle with s_valid_i && s_ready_o).
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_uart_tx #(
  parameter int CLKS_PER_BIT = 104  // clock frequency / baud rate (>= 2)
) (
  input  logic       clk_i,
  input  logic       rst_ni,     // synchronous, active low
  input  logic [7:0] s_data_i,
  input  logic       s_valid_i,
  output logic       s_ready_o,
  output logic       txd_o       // serial output (idle high)
);

  localparam int CW = $clog2(CLKS_PER_BIT);

  initial begin
    if (CLKS_PER_BIT < 2) $fatal(1, "ecg_bnn_uart_tx: CLKS_PER_BIT must be at least 2");
  end

  logic          busy_q;
  logic [7:0]    shift_q;  // data bits still to send, next one in bit 0
  logic [3:0]    bit_q;    // bits left to send after the current one
  logic [CW-1:0] cnt_q;

  assign s_ready_o = !busy_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
      txd_o  <= 1'b1;
    end else if (!busy_q) begin
      if (s_valid_i) begin
        busy_q <= 1'b1;
        txd_o  <= 1'b0;  // start bit
      end
    end else if (cnt_q == CW'(CLKS_PER_BIT - 1)) begin
      if (bit_q == 4'd0) busy_q <= 1'b0;
      txd_o <= (bit_q <= 4'd1) ? 1'b1 : shift_q[0];  // data bits, then the stop bit
    end
  end

  always_ff @(posedge clk_i) begin
    if (!busy_q) begin
      shift_q <= s_data_i;
      bit_q   <= 4'd9;
      cnt_q   <= '0;
    end else if (cnt_q == CW'(CLKS_PER_BIT - 1)) begin
      shift_q <= {1'b1, shift_q[7:1]};
      bit_q   <= bit_q - 4'd1;
      cnt_q   <= '0;
    end else begin
      cnt_q <= cnt_q + CW'(1);
    end
  end

endmodule

`default_nettype wire
