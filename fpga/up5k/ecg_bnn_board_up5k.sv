// ecg_bnn_board_up5k: board top for an iCE40 UltraPlus UP5K board (pinout: iCEBreaker, see
// ecg_bnn_board_up5k.pcf) around ecg_bnn_top.
//
// Clock: the board's 12 MHz oscillator on clk_i, or, with `ECG_BNN_HFOSC defined, the UP5K's
// internal SB_HFOSC divided to 12 MHz (clk_i is then unused). CLK_HZ must match either way.
// Reset: power-on reset (16 cycles) and the active-low button btn_ni, synchronised; everything
// inside is reset synchronously.
// Input: ECG samples over the UART (rxd_i, 8N1, BAUD): two bytes per sample, little-endian,
// 16-bit signed. A pause of RX_TIMEOUT clock cycles between bytes re-aligns the byte pair (the
// next byte is a low byte). A sample that arrives while the previous one still waits for the
// IP is dropped and sets the sticky overflow flag (never happens at UART rates).
// Output: per classified window the UART (txd_o) sends 2 bytes, class index and flags
// {3'b0, frame_error_seen, overflow_seen, clipped, low, flat} (the IP's input flags in the low
// three bits: when any is set the class is void), then, when SEND_SCORES, the NUM_CLASSES signed
// 32-bit scores little-endian, straight from the IP's output register (the result is taken, and
// the IP may deliver the next one, after its last byte). led_o is the class one-hot (all on for
// class >= 5), ledr_no lights on an input flag or an overflow/frame error, ledg_no toggles on
// every result (LEDs change when the result is taken).
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_board_up5k #(
  parameter int NUM_CLASSES     = 5,
  parameter int SIMD            = 16,
  parameter int PE              = 1,
  parameter int HOP             = 3600,
  parameter int CLK_HZ          = 12_000_000,
  parameter int BAUD            = 115_200,
  parameter int SEND_SCORES     = 1,
  parameter int RX_TIMEOUT      = 0,  // idle clock cycles that re-align bytes; 0: 20 bit times
  parameter     WEIGHTS_FILE    = "",
  parameter     THRESHOLDS_FILE = "",
  parameter int THRESHOLDS_DEPTH = 256
) (
  input  wire       clk_i,    // 12 MHz board oscillator (unused with `ECG_BNN_HFOSC)
  input  wire       btn_ni,   // reset button, active low
  input  wire       rxd_i,    // UART from the host
  output wire       txd_o,    // UART to the host
  output wire [4:0] led_o,    // class one-hot, active high
  output wire       ledr_no,  // red LED, active low: input flag / overflow / frame error
  output wire       ledg_no   // green LED, active low: toggles per result
);

  localparam int CPB    = (CLK_HZ + BAUD / 2) / BAUD;
  localparam int TMO    = (RX_TIMEOUT > 0) ? RX_TIMEOUT : 20 * CPB;
  localparam int TW     = $clog2(TMO + 1);
  localparam int RW     = 16 + 32 * NUM_CLASSES;
  localparam int NBYTES = (SEND_SCORES != 0) ? RW / 8 : 2;
  localparam int BCW    = $clog2(RW / 8 + 1);

  initial begin
    if (CPB < 4) $fatal(1, "ecg_bnn_board_up5k: CLK_HZ / BAUD must be at least 4");
  end

  // ------------------------------------------------------------------ clock and reset
  logic clk;
`ifdef ECG_BNN_HFOSC
  SB_HFOSC #(.CLKHF_DIV("0b10")) u_hfosc (.CLKHFPU(1'b1), .CLKHFEN(1'b1), .CLKHF(clk));
  logic unused_clk;
  assign unused_clk = clk_i;
`else
  assign clk = clk_i;
`endif

  // The power-on reset needs the iCE40's register initial values: there is no reset before it.
  /* verilator lint_off PROCASSINIT */
  logic [3:0] por_q = 4'd0;   // power-on reset counter (FPGA initial value)
  logic [1:0] btn_q = 2'b00;
  logic       rst_n_q = 1'b0;
  /* verilator lint_on PROCASSINIT */
  always_ff @(posedge clk) begin
    btn_q   <= {btn_q[0], btn_ni};
    if (por_q != 4'hf) por_q <= por_q + 4'd1;
    rst_n_q <= (por_q == 4'hf) && btn_q[1];
  end

  // ------------------------------------------------------------------ UART in -> samples
  logic [7:0] rx_data;
  logic       rx_valid, rx_ferr;
  ecg_bnn_uart_rx #(.CLKS_PER_BIT(CPB)) u_rx (
    .clk_i(clk), .rst_ni(rst_n_q), .rxd_i,
    .m_data_o(rx_data), .m_valid_o(rx_valid), .frame_err_o(rx_ferr)
  );

  logic [7:0]    lo_q;
  logic          hi_phase_q;
  logic [TW-1:0] idle_q;
  logic [15:0]   sample_q;
  logic          sample_valid_q, overflow_q, ferr_q;
  logic          s_ready;

  always_ff @(posedge clk) begin
    if (!rst_n_q) begin
      hi_phase_q     <= 1'b0;
      idle_q         <= '0;
      sample_valid_q <= 1'b0;
      overflow_q     <= 1'b0;
      ferr_q         <= 1'b0;
    end else begin
      if (rx_ferr) ferr_q <= 1'b1;
      if (sample_valid_q && s_ready) sample_valid_q <= 1'b0;
      if (rx_valid) begin
        idle_q     <= '0;
        hi_phase_q <= !hi_phase_q;
        if (hi_phase_q) begin
          if (sample_valid_q && !s_ready) overflow_q <= 1'b1;
          else sample_valid_q <= 1'b1;
        end
      end else if (idle_q == TW'(TMO)) begin
        hi_phase_q <= 1'b0;
      end else begin
        idle_q <= idle_q + TW'(1);
      end
    end
  end

  always_ff @(posedge clk) begin
    if (rx_valid && !hi_phase_q) lo_q <= rx_data;
    if (rx_valid && hi_phase_q && !(sample_valid_q && !s_ready)) sample_q <= {rx_data, lo_q};
  end

  // ------------------------------------------------------------------ the IP
  logic [RW-1:0] m_data;
  logic          m_valid, m_ready, m_last;

  ecg_bnn_top #(
    .NUM_CLASSES(NUM_CLASSES), .SIMD(SIMD), .PE(PE), .HOP(HOP),
    .WEIGHTS_FILE(WEIGHTS_FILE), .THRESHOLDS_FILE(THRESHOLDS_FILE),
    .THRESHOLDS_DEPTH(THRESHOLDS_DEPTH)
  ) u_ip (
    .clk_i(clk), .rst_ni(rst_n_q),
    .s_axis_tdata(sample_q), .s_axis_tvalid(sample_valid_q), .s_axis_tready(s_ready),
    .m_axis_tdata(m_data), .m_axis_tvalid(m_valid), .m_axis_tready(m_ready),
    .m_axis_tlast(m_last)
  );

  // ------------------------------------------------------------------ results -> UART out
  // The result waits in the IP's output register (AXI4-Stream keeps tdata stable while
  // tvalid && !tready): the bytes go out from there through a byte multiplexer, and the result
  // is taken with its last byte. No copy of the frame (176 flip-flops at 5 classes).
  logic [RW-1:0]  frame;      // the bytes to send, byte i in [8*i +: 8]
  logic [BCW-1:0] byte_q;     // the byte being sent
  logic [7:0]     class_q;
  logic           flag_q, beat_q;
  logic           tx_ready, last_byte;

  assign frame     = {m_data[RW-1:16], 3'b0, ferr_q, overflow_q, m_data[10:8], m_data[7:0]};
  assign last_byte = (byte_q == BCW'(NBYTES - 1));
  assign m_ready   = tx_ready && last_byte;

  always_ff @(posedge clk) begin
    if (!rst_n_q) begin
      byte_q  <= '0;
      class_q <= '0;
      flag_q  <= 1'b0;
      beat_q  <= 1'b0;
    end else if (m_valid && tx_ready) begin
      byte_q <= last_byte ? '0 : byte_q + BCW'(1);
      if (last_byte) begin
        class_q <= m_data[7:0];
        flag_q  <= |m_data[10:8];
        beat_q  <= !beat_q;
      end
    end
  end

  ecg_bnn_uart_tx #(.CLKS_PER_BIT(CPB)) u_tx (
    .clk_i(clk), .rst_ni(rst_n_q),
    .s_data_i(frame[8*byte_q +: 8]), .s_valid_i(m_valid), .s_ready_o(tx_ready), .txd_o
  );

  // ------------------------------------------------------------------ LEDs
  for (genvar i = 0; i < 5; i++) begin : g_led
    assign led_o[i] = (class_q == 8'(i)) || (class_q >= 8'd5);
  end
  assign ledr_no = !(flag_q || overflow_q || ferr_q);
  assign ledg_no = !beat_q;

  logic unused;
  assign unused = ^{m_last, m_data[15:11]};

endmodule

`default_nettype wire
