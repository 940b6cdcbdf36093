// ecg_bnn_uart_rx: 8N1 UART receiver. The line is synchronised with two flip-flops, a start bit
// is confirmed at its middle, then every data bit is sampled in the middle of its bit time
// (CLKS_PER_BIT clock cycles per bit). A byte is presented for one cycle (m_valid_o, no
// back-pressure); a missing stop bit drops the byte and pulses frame_err_o.
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_uart_rx #(
  parameter int CLKS_PER_BIT = 104  // clock frequency / baud rate (>= 4)
) (
  input  logic       clk_i,
  input  logic       rst_ni,       // synchronous, active low
  input  logic       rxd_i,        // serial input (idle high)
  output logic [7:0] m_data_o,
  output logic       m_valid_o,    // one-cycle pulse per received byte
  output logic       frame_err_o   // one-cycle pulse: stop bit was 0
);

  localparam int CW = $clog2(CLKS_PER_BIT);

  initial begin
    if (CLKS_PER_BIT < 4) $fatal(1, "ecg_bnn_uart_rx: CLKS_PER_BIT must be at least 4");
  end

  typedef enum logic [1:0] {ST_IDLE, ST_START, ST_DATA, ST_STOP} state_e;
  state_e      state_q;
  logic [1:0]  sync_q;
  logic [CW-1:0] cnt_q;
  logic [2:0]  bit_q;
  logic [7:0]  shift_q;
  logic        rxd;

  assign rxd = sync_q[1];

  always_ff @(posedge clk_i) begin
    if (!rst_ni) sync_q <= 2'b11;
    else         sync_q <= {sync_q[0], rxd_i};
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q     <= ST_IDLE;
      m_valid_o   <= 1'b0;
      frame_err_o <= 1'b0;
    end else begin
      m_valid_o   <= 1'b0;
      frame_err_o <= 1'b0;
      case (state_q)
        ST_IDLE: if (!rxd) state_q <= ST_START;
        ST_START: if (cnt_q == CW'(CLKS_PER_BIT / 2 - 1)) state_q <= rxd ? ST_IDLE : ST_DATA;
        ST_DATA: if (cnt_q == CW'(CLKS_PER_BIT - 1) && bit_q == 3'd7) state_q <= ST_STOP;
        ST_STOP: begin
          if (cnt_q == CW'(CLKS_PER_BIT - 1)) begin
            state_q     <= ST_IDLE;
            m_valid_o   <= rxd;
            frame_err_o <= !rxd;
          end
        end
        default: state_q <= ST_IDLE;
      endcase
    end
  end

  // bit timer and data path (no reset needed: restarted by every start bit)
  always_ff @(posedge clk_i) begin
    case (state_q)
      ST_IDLE: begin
        cnt_q <= '0;
        bit_q <= '0;
      end
      ST_START: cnt_q <= (cnt_q == CW'(CLKS_PER_BIT / 2 - 1)) ? '0 : cnt_q + CW'(1);
      ST_DATA: begin
        if (cnt_q == CW'(CLKS_PER_BIT - 1)) begin
          cnt_q   <= '0;
          bit_q   <= bit_q + 3'd1;
          shift_q <= {rxd, shift_q[7:1]};
        end else begin
          cnt_q <= cnt_q + CW'(1);
        end
      end
      default: cnt_q <= (cnt_q == CW'(CLKS_PER_BIT - 1)) ? '0 : cnt_q + CW'(1);
    endcase
  end

  assign m_data_o = shift_q;

endmodule

`default_nettype wire
