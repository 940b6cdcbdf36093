// ecg_bnn_tb_stream: file-driven stream testbench of ecg_bnn_top (simulation only, not part of
// rtl/ecg_bnn.f). Used by pymodel/rtlsim.py (scripts/run_sim.py, bench_rtl.py, bench_cycles.py):
// everything runs inside the simulator, no Python coroutine per clock cycle.
//
// Plusargs:
//   +samples=FILE   one 16-bit sample per line, 4 hex digits (two's complement)
//   +results=N      stop after N results (required)
//   +idle=P         permille probability of an idle input cycle (default 0)
//   +stall=P        permille probability of a cycle with m_axis_tready low (default 0)
//   +seed=S         seed of the xorshift32 generator (default 1)
//   +max_cycles=C   give up (TIMEOUT line) after C cycles (default 2,000,000 per result)
//   +waves=FILE     dump a waveform (FST with verilator --trace-fst or vvp -fst)
// Output lines on stdout (flushed), cycles counted from the end of reset:
//   WINDOW k c       the last sample of window k was accepted at cycle c
//   WIN_READY c f    the front end finished a window (samples and constants) at cycle c
//                    (input flags f = {clipped, low, flat})
//   LAYERS k c1..c6  busy cycles of the engine per layer for its k-th window
//   RESULT k c HEX   result k taken from m_axis at cycle c, tdata in hex
//   DONE c | TIMEOUT c
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_tb_stream #(
  parameter int NUM_CLASSES     = 5,
  parameter int SIMD            = 16,
  parameter int PE              = 1,
  parameter int HOP             = 3600,
  parameter int QDEPTH          = 2,
  parameter int RING_DEPTH      = 16384,
  parameter int LOW_RMS         = 4,
  parameter int CLIP_MAX        = 36,
  parameter     WEIGHTS_FILE    = "",
  parameter     THRESHOLDS_FILE = "",
  parameter int THRESHOLDS_DEPTH = 256
);

  localparam int N  = 3600;
  localparam int DW = 16 + 32 * NUM_CLASSES;

  logic          clk = 1'b0;
  logic          rst_n = 1'b0;
  logic [15:0]   s_data = '0;
  logic          s_valid = 1'b0;
  wire           s_ready;
  wire  [DW-1:0] m_data;
  wire           m_valid;
  logic          m_ready = 1'b0;
  wire           m_last;

  ecg_bnn_top #(
    .NUM_CLASSES(NUM_CLASSES), .SIMD(SIMD), .PE(PE), .HOP(HOP), .QDEPTH(QDEPTH),
    .RING_DEPTH(RING_DEPTH), .LOW_RMS(LOW_RMS), .CLIP_MAX(CLIP_MAX),
    .WEIGHTS_FILE(WEIGHTS_FILE), .THRESHOLDS_FILE(THRESHOLDS_FILE),
    .THRESHOLDS_DEPTH(THRESHOLDS_DEPTH)
  ) dut (
    .clk_i(clk), .rst_ni(rst_n),
    .s_axis_tdata(s_data), .s_axis_tvalid(s_valid), .s_axis_tready(s_ready),
    .m_axis_tdata(m_data), .m_axis_tvalid(m_valid), .m_axis_tready(m_ready),
    .m_axis_tlast(m_last)
  );

  always #5 clk = !clk;

  // ---------------------------------------------------------------- configuration
  string       samples_file, waves_file;
  integer      fd, want, idle, stall, seed_arg;
  longint      max_cycles;
  logic [31:0] rng = 32'd1;
  logic        have_next = 1'b0;
  logic [15:0] next_sample = '0;

  function automatic logic [31:0] xorshift(input logic [31:0] x);
    logic [31:0] y;
    y = x ^ (x << 13);
    y = y ^ (y >> 17);
    y = y ^ (y << 5);
    return y;
  endfunction

  task automatic fetch;
    integer r;
    logic [15:0] w;
    r = $fscanf(fd, "%h\n", w);
    have_next   = (r == 1);
    next_sample = w;
  endtask

  initial begin
    if (!$value$plusargs("samples=%s", samples_file)) $fatal(1, "tb: +samples=FILE missing");
    if (!$value$plusargs("results=%d", want)) $fatal(1, "tb: +results=N missing");
    if (!$value$plusargs("idle=%d", idle)) idle = 0;
    if (!$value$plusargs("stall=%d", stall)) stall = 0;
    if (!$value$plusargs("seed=%d", seed_arg)) seed_arg = 1;
    if (!$value$plusargs("max_cycles=%d", max_cycles)) max_cycles = 64'(want) * 2_000_000;
    rng = (seed_arg == 0) ? 32'd1 : 32'(seed_arg);
    fd = $fopen(samples_file, "r");
    if (fd == 0) $fatal(1, "tb: cannot open %s", samples_file);
    if ($value$plusargs("waves=%s", waves_file)) begin
      $dumpfile(waves_file);
      $dumpvars(0, ecg_bnn_tb_stream);
    end
    fetch();
    repeat (5) @(posedge clk);
    rst_n <= 1'b1;
  end

  // ---------------------------------------------------------------- stimulus and monitors
  longint cycle = 0;
  integer accepted = 0, nres = 0, nlay = 0, nz = 0;
  integer lay_cnt [1:6];
  logic   busy_d = 1'b0, win_ready_d = 1'b0;

  initial for (int l = 1; l <= 6; l++) lay_cnt[l] = 0;

  always @(posedge clk) begin
    if (rst_n) begin
      cycle <= cycle + 1;
      rng = xorshift(rng);
      // input: the beat on the bus completes at this edge when s_ready is high
      if (s_valid && s_ready) begin
        if (accepted + 1 >= N && (accepted + 1 - N) % HOP == 0) begin
          $display("WINDOW %0d %0d", (accepted + 1 - N) / HOP, cycle);
        end
        accepted = accepted + 1;
      end
      if (!s_valid || s_ready) begin
        if (have_next && 32'(rng[9:0]) >= 32'(idle)) begin
          s_data  <= next_sample;
          s_valid <= 1'b1;
          fetch();
        end else begin
          s_valid <= 1'b0;
        end
      end
      // output
      if (m_valid && m_ready) begin
        if (m_last !== 1'b1) $fatal(1, "tb: m_axis_tlast must be 1");
        $display("RESULT %0d %0d %h", nres, cycle, m_data);
        $fflush();
        nres = nres + 1;
      end
      m_ready <= (32'(rng[25:16]) >= 32'(stall));
      // engine activity per layer and front-end completions
      if (dut.u_engine.busy_o) lay_cnt[dut.u_engine.layer_o] = lay_cnt[dut.u_engine.layer_o] + 1;
      busy_d <= dut.u_engine.busy_o;
      if (busy_d && !dut.u_engine.busy_o) begin
        $display("LAYERS %0d %0d %0d %0d %0d %0d %0d", nlay, lay_cnt[1], lay_cnt[2], lay_cnt[3],
                 lay_cnt[4], lay_cnt[5], lay_cnt[6]);
        for (int l = 1; l <= 6; l++) lay_cnt[l] = 0;
        nlay = nlay + 1;
      end
      win_ready_d <= dut.win_ready;
      if (dut.win_ready && !win_ready_d) begin
        $display("WIN_READY %0d %0d", cycle, dut.win_flags);
        nz = nz + 1;
      end
      if (nres == want) begin
        $display("DONE %0d", cycle);
        $fflush();
        $fclose(fd);
        $finish;
      end
      if (cycle >= max_cycles) begin
        $display("TIMEOUT %0d", cycle);
        $fflush();
        $finish;
      end
    end
  end

endmodule

`default_nettype wire
