// ecg_bnn_engine: runs the six layers of one window from the window buffer (raw samples) to the
// result register.
// Loop order per layer: channel groups of PE output channels (outer), conv positions t
// (middle), SIMD-bit chunks of the 7*C_in-bit weight row (inner, blocks 2-6). A group's weight
// rows are copied once from the weight ROM into per-PE row buffers (weight-stationary) and its
// thresholds into the PEs' threshold units; then every conv position streams through
//   issue -> RAM read -> XNOR/popcount -> accumulate -> max pool -> threshold -> bit write
// (block 1: sample read (pad P) -> signed 7-tap sum -> max pool -> threshold ->
//  bit write, with per-window thresholds from ecg_bnn_thr_scale while the group loads;
//  block 6: ... max pool -> S_pos/S_neg -> ecg_bnn_result).
// Activations are bits of the padded map (pad positions written as ones before each layer) in
// a ping-pong activation buffer (ecg_bnn_actbuf); output bits are written with bit masks.
// Thresholds and score coefficients come bit-packed from one stream ROM through ecg_bnn_unpack,
// record by record in the order they are used; the controller waits where a record is not
// decoded yet.
// This module is the datapath around the controller (ecg_bnn_engine_ctrl: state machine,
// counters, addresses) and the PE lanes (ecg_bnn_engine_lane): the ROMs, the activation buffer
// with the shared slice shifter and bit writer, the block-1 input, the threshold scaler and the
// result unit.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_engine #(
  parameter int NUM_CLASSES     = 5,
  parameter int SIMD            = 16,  // XNOR bits per cycle per PE (8, 16, 32 or 64)
  parameter int PE              = 1,   // output channels in parallel (1, 2, 4 or 8)
  parameter     WEIGHTS_FILE     = "",
  parameter     THRESHOLDS_FILE  = "",   // the parameter stream: thresholds and coefficients
  parameter int THRESHOLDS_DEPTH = 256,  // its words (the manifest's depth)
  parameter int N               = 3600,
  parameter int XDEPTH          = 4096
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  // window buffer (read port) and the front end's per-window constants, held while
  // win_ready_i until win_release_o (docs/input_contract.md)
  input  logic                         win_ready_i,
  input  logic signed [27:0]           win_s1_i,     // S1 = sum of the samples
  input  logic [26:0]                  win_r_i,      // r = floor(sqrt(N*S2 - S1^2))
  input  logic signed [16:0]           win_pad_i,    // P = floor((S1 + r) / N), block 1's pad
  input  logic [2:0]                   win_flags_i,  // {clipped, low, flat}
  output logic                         win_release_o,
  output logic                         xbuf_re_o,
  output logic [$clog2(XDEPTH)-1:0]    xbuf_raddr_o,
  input  logic [15:0]                  xbuf_rdata_i, // raw signed sample
  // result stream
  output logic [16+32*NUM_CLASSES-1:0] m_data_o,
  output logic                         m_valid_o,
  input  logic                         m_ready_i,
  // status (benchmarks, debug)
  output logic                         busy_o,
  output logic [2:0]                   layer_o
);

  // ------------------------------------------------------------------ network table
  // lay_cin/lay_cout/lay_lout/lay_wbase/lay_tbase, NET_N, NET_PAD, NET_ACT_BITS: generated from
  // pymodel/network.py (python -m pymodel.network_svh); here the memory sizes, in
  // ecg_bnn_engine_ctrl the loop bounds
`include "ecg_bnn_network.svh"
  function automatic int lay_wpr(input int l);   // 16-bit ROM words per weight row
    lay_wpr = (7 * lay_cin(l) + 15) / 16;
  endfunction
  // ------------------------------------------------------------------ derived sizes
  localparam int AW         = (SIMD > 16) ? SIMD : 16;    // activation / row-buffer word
  localparam int LAW        = $clog2(AW);
  localparam int HALF_WORDS = 1 << $clog2((NET_ACT_BITS + AW - 1) / AW);  // largest padded map
  localparam int WI         = $clog2(HALF_WORDS) + 1;     // activation word index (with half)
  localparam int BIT_AW     = $clog2(NET_ACT_BITS);       // bit address inside a half
  localparam int WROM_DEPTH = lay_wbase(6) + NUM_CLASSES * lay_wpr(6);
  localparam int WRA        = $clog2(WROM_DEPTH);
  localparam int LPW        = (PE > 1) ? $clog2(PE) : 1;
  localparam int ROW_BITS   = 7 * lay_cin(6);             // longest weight row
  localparam int THR_W      = 24;                         // threshold fields (signed)
  localparam int TW         = 2 * THR_W + 1;              // unpacked threshold {inv, hi, lo}
  localparam int X_W        = 17;                         // block-1 tap: sample or pad P
  // Latencies of the lanes' pipeline stages, valid in -> valid out in cycles. Each stage module
  // checks its own (LATENCY parameter, $fatal and an assertion); the controller adds them up
  // into the drain after a group's last issue.
  localparam int XNOR_LAT   = 3;                          // ecg_bnn_xnor_pe
  localparam int CONV1_LAT  = 2;                          // ecg_bnn_conv1_pe
  localparam int POOL_LAT   = 3;                          // ecg_bnn_maxpool
  localparam int THR_LAT    = 1;                          // ecg_bnn_threshold

  initial begin
    if (SIMD != 8 && SIMD != 16 && SIMD != 32 && SIMD != 64)
      $fatal(1, "ecg_bnn_engine: SIMD must be 8, 16, 32 or 64 (got %0d)", SIMD);
    if (PE != 1 && PE != 2 && PE != 4 && PE != 8)
      $fatal(1, "ecg_bnn_engine: PE must be 1, 2, 4 or 8 to divide every hidden layer's channels (got %0d)", PE);
    if (NUM_CLASSES < 2 || NUM_CLASSES > 255)
      $fatal(1, "ecg_bnn_engine: NUM_CLASSES must lie in [2, 255] (got %0d)", NUM_CLASSES);
    if (N != NET_N) $fatal(1, "ecg_bnn_engine: the layer table is for N = %0d", NET_N);
    if (XDEPTH < N) $fatal(1, "ecg_bnn_engine: XDEPTH must hold a whole window (>= N)");
    for (int l = 2; l <= 6; l++) begin  // chunks start on a byte (the byte shifter)
      if (lay_cin(l) % 8 != 0)
        $fatal(1, "ecg_bnn_engine: block %0d's C_in must be a multiple of 8", l);
    end
    for (int l = 1; l < 6; l++) begin  // an activation-buffer half holds every padded map
      if ((lay_lout(l) + 2 * NET_PAD) * lay_cout(l) > NET_ACT_BITS)
        $fatal(1, "ecg_bnn_engine: NET_ACT_BITS is smaller than block %0d's padded map", l);
    end
  end

  // ------------------------------------------------------------------ controller
  logic                block1, block6, group_clear;
  logic [2:0]          flags;
  logic                wrom_re, trom_re, trom_ready, stream_start, rom_valid, rom_first;
  logic [WRA-1:0]      wrom_addr;
  logic [LPW-1:0]      rom_lane, scale_lane, score_lane;
  logic [4:0]          rom_word;
  logic                scale_start, scale_busy, scale_done;
  logic                act_re, src_half, dst_half;
  logic [BIT_AW-1:0]   in_bit, out_bit;
  logic [8:0]          row_bit;
  logic                s1_valid, s1_first, s1_last, s1_pad, s1_odd;
  logic [SIMD-1:0]     s1_mask;
  logic [LAW-1:0]      s1_act_off, s1_row_off;
  logic                pad_we;
  logic [BIT_AW-4:0]   pad_byte;
  logic                res_clear, res_calc, res_finish, res_free, res_busy, coef_re;
  logic [PE-1:0]       xnor_valid, conv1_valid, pool_valid, bit_valid, bits;

  ecg_bnn_engine_ctrl #(
    .NUM_CLASSES(NUM_CLASSES), .SIMD(SIMD), .PE(PE), .N(N), .XDEPTH(XDEPTH),
    .WROM_AW(WRA), .BIT_AW(BIT_AW),
    .XNOR_LAT(XNOR_LAT), .CONV1_LAT(CONV1_LAT), .POOL_LAT(POOL_LAT), .THR_LAT(THR_LAT)
  ) u_ctrl (
    .clk_i, .rst_ni,
    .win_ready_i, .win_flags_i, .win_release_o, .flags_o(flags),
    .busy_o, .layer_o, .block1_o(block1), .block6_o(block6),
    .wrom_re_o(wrom_re), .wrom_addr_o(wrom_addr), .trom_re_o(trom_re),
    .trom_ready_i(trom_ready), .stream_start_o(stream_start),
    .rom_valid_o(rom_valid), .rom_lane_o(rom_lane), .rom_word_o(rom_word),
    .rom_first_o(rom_first),
    .scale_start_o(scale_start), .scale_lane_o(scale_lane), .scale_busy_i(scale_busy),
    .scale_done_i(scale_done),
    .act_re_o(act_re), .src_half_o(src_half), .in_bit_o(in_bit), .row_bit_o(row_bit),
    .xbuf_re_o, .xbuf_raddr_o,
    .s1_valid_o(s1_valid), .s1_first_o(s1_first), .s1_last_o(s1_last), .s1_mask_o(s1_mask),
    .s1_act_off_o(s1_act_off), .s1_row_off_o(s1_row_off), .s1_pad_o(s1_pad),
    .s1_odd_o(s1_odd),
    .group_clear_o(group_clear),
    .xnor_valid_i(xnor_valid[0]), .conv1_valid_i(conv1_valid[0]),
    .pool_valid_i(pool_valid[0]), .bit_valid_i(bit_valid[0]),
    .dst_half_o(dst_half), .pad_we_o(pad_we), .pad_byte_o(pad_byte), .out_bit_o(out_bit),
    .score_lane_o(score_lane), .res_clear_o(res_clear), .res_calc_o(res_calc),
    .res_finish_o(res_finish), .res_free_i(res_free), .res_busy_i(res_busy)
  );

  // ------------------------------------------------------------------ ROMs
  // the weight ROM, and the parameter stream: a threshold record per lane load (blocks 1-5), a
  // coefficient record per class scored (block 6), each valid the cycle after its read; each
  // window's pass starts with the window, so every window has the same schedule
  logic [15:0]   wrom_data;
  logic [TW-1:0] trom_data;
  logic [63:0]   coef;
  logic [2:0]    unpack_layer;

  ecg_bnn_rom #(.DEPTH(WROM_DEPTH), .WIDTH(16), .MEM_FILE(WEIGHTS_FILE)) u_wrom (
    .clk_i, .re_i(wrom_re), .addr_i(wrom_addr), .data_o(wrom_data)
  );
  ecg_bnn_unpack #(
    .NUM_CLASSES(NUM_CLASSES), .DEPTH(THRESHOLDS_DEPTH), .MEM_FILE(THRESHOLDS_FILE)
  ) u_unpack (
    .clk_i, .rst_ni, .start_i(stream_start), .re_i(trom_re || coef_re), .ready_o(trom_ready),
    .layer_o(unpack_layer),
    .thr_o(trom_data), .coef_o(coef)
  );

  // ------------------------------------------------------------------ activation buffer
  logic            act_we, act_rhi;
  logic [WI-1:0]   act_wword, act_rword;
  logic [AW-1:0]   act_wdata, act_wmask;
  logic [2*AW-1:0] act_rdata;

  // a chunk of SIMD bits from bit in_bit on: its word and, when it crosses into it, the next
  assign act_rword = {src_half, (WI-1)'(in_bit >> LAW)};
  assign act_rhi   = (32'(in_bit[LAW-1:0]) + SIMD) > AW;

  ecg_bnn_actbuf #(.AW(AW), .WORDS(2 * HALF_WORDS)) u_act (
    .clk_i,
    .we_i(act_we), .wword_i(act_wword), .wdata_i(act_wdata), .wmask_i(act_wmask),
    .re_i(act_re), .rhi_i(act_rhi), .rword_i(act_rword), .rdata_o(act_rdata)
  );

  // stage 1: the chunk's activation slice
  logic [SIMD-1:0] act_slice;
  logic [2*AW-1:0] act_shifted;
  // a chunk starts on a byte (t*C_in + r*SIMD, every C_in and SIMD a multiple of 8: the initial
  // check, EngChunkOnByte), so the slice shifter moves whole bytes: a 2:1 multiplexer per bit
  // for SIMD = 16 instead of a 16:1 one
  assign act_shifted = act_rdata >> {s1_act_off[LAW-1:3], 3'b000};
  assign act_slice   = act_shifted[SIMD-1:0];

  // ------------------------------------------------------------------ block-1 input
  // the next input position for the lanes' conv sums: a sample or (outside the window) the pad
  // value P. A group's run starts after at least 7 pads with its weights in the sums: they are
  // shifted in while the scaler runs (ST_SCALE, at least 200 cycles before every block-1 run;
  // the lanes' conv units are idle then).
  // (pad_shift_q: scale_busy one cycle later, a register of its own, so that the shift enables
  // do not load the scaler's state decode, its critical path)
  logic           pad_shift_q, x_shift;
  logic [X_W-1:0] xval;
  assign xval    = (s1_pad || pad_shift_q) ? win_pad_i : X_W'($signed(xbuf_rdata_i));
  assign x_shift = (s1_valid && block1) || pad_shift_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) pad_shift_q <= 1'b0;
    else         pad_shift_q <= scale_busy;
  end

  // ------------------------------------------------------------------ block-1 threshold scaler
  // Each block-1 lane's ROM thresholds (Q14 z units) become this window's raw-unit thresholds:
  // ST_LOAD loads the lane's weight row and threshold word, ST_SCALE runs the scaler on the
  // lane's threshold register, which it rewrites in place (hi', then lo').
  logic [THR_W-1:0] scale_thr;
  logic             scale_hi_we, scale_lo_we;
  logic [TW-1:0]    lane_thr [PE];
  logic [TW-1:0]    scale_src;  // the threshold register of the lane being scaled
  if (PE > 1) begin : g_scale_src
    assign scale_src = lane_thr[scale_lane];
  end else begin : g_scale_src_1
    assign scale_src = lane_thr[0];
  end

  ecg_bnn_thr_scale #(.N(N), .THR_W(THR_W)) u_scale (
    .clk_i, .rst_ni,
    .start_i(scale_start), .thr_i(scale_src[2*THR_W-1:0]), .w_i(wrom_data[6:0]),
    .s1_i(win_s1_i), .r_i(win_r_i),
    .busy_o(scale_busy), .done_o(scale_done),
    .hi_we_o(scale_hi_we), .lo_we_o(scale_lo_we), .thr_o(scale_thr)
  );

  // ------------------------------------------------------------------ lanes
  logic [15:0] lane_s_pos [PE];
  logic [15:0] lane_s_neg [PE];

  for (genvar p = 0; p < PE; p++) begin : g_lane
    ecg_bnn_engine_lane #(
      .SIMD(SIMD), .ROW_BITS(ROW_BITS), .X_W(X_W), .THR_W(THR_W),
      .XNOR_LAT(XNOR_LAT), .CONV1_LAT(CONV1_LAT), .POOL_LAT(POOL_LAT), .THR_LAT(THR_LAT)
    ) u_lane (
      .clk_i, .rst_ni,
      .block1_i(block1), .block6_i(block6), .group_clear_i(group_clear),
      .load_i(rom_valid && rom_lane == LPW'(p)), .load_word_i(rom_word),
      .load_first_i(rom_first), .wrom_data_i(wrom_data), .trom_data_i(trom_data),
      .scaled_hi_i(scale_hi_we && scale_lane == LPW'(p)),
      .scaled_lo_i(scale_lo_we && scale_lane == LPW'(p)), .scaled_thr_i(scale_thr),
      .thr_o(lane_thr[p]),
      .rb_re_i(act_re), .row_bit_i(row_bit),
      .s1_valid_i(s1_valid), .s1_first_i(s1_first), .s1_last_i(s1_last), .s1_odd_i(s1_odd),
      .s1_row_off_i(s1_row_off), .act_i(act_slice), .mask_i(s1_mask),
      .shift_i(x_shift), .x_i(xval),
      .xnor_valid_o(xnor_valid[p]), .conv1_valid_o(conv1_valid[p]),
      .pool_valid_o(pool_valid[p]), .bit_valid_o(bit_valid[p]), .bit_o(bits[p]),
      .s_pos_o(lane_s_pos[p]), .s_neg_o(lane_s_neg[p])
    );
  end

  // ------------------------------------------------------------------ activation writes
  // ST_PAD: a byte of ones; else the lanes' bits, lane p at bit out_bit + p
  logic [LAW-1:0] out_off;
  logic [WI-2:0]  pad_word;
  logic [AW-1:0]  pad_mask;
  assign out_off = out_bit[LAW-1:0];

  if (AW == 16) begin : g_pad16
    assign pad_word = (WI-1)'(pad_byte >> 1);
    assign pad_mask = pad_byte[0] ? 16'hFF00 : 16'h00FF;
  end else begin : g_padn
    assign pad_word = (WI-1)'(pad_byte >> (LAW - 3));
    assign pad_mask = AW'(8'hFF) << (8 * pad_byte[LAW-4:0]);
  end

  // lane p's bit goes to every position p mod PE of the word (out_bit is a multiple of PE:
  // C_out and the groups' first channels are, EngBitsAligned), the mask picks the PE of them
  // at out_off: no data shifter
  assign act_we    = pad_we || bit_valid[0];
  assign act_wword = pad_we ? {dst_half, pad_word} : {dst_half, (WI-1)'(out_bit >> LAW)};
  assign act_wdata = pad_we ? '1 : {(AW / PE){bits}};
  assign act_wmask = pad_we ? pad_mask : AW'({PE{1'b1}}) << out_off;

  // ------------------------------------------------------------------ scoring and result
  ecg_bnn_result #(.NUM_CLASSES(NUM_CLASSES)) u_result (
    .clk_i, .rst_ni,
    .clear_i(res_clear), .calc_i(res_calc),
    .s_pos_i(lane_s_pos[score_lane]), .s_neg_i(lane_s_neg[score_lane]),
    .coef_re_o(coef_re), .coef_i(coef),
    .busy_o(res_busy), .finish_i(res_finish), .flags_i(flags), .slot_free_o(res_free),
    .m_data_o, .m_valid_o, .m_ready_i
  );

  logic unused;
  assign unused = ^{xnor_valid, conv1_valid, pool_valid, bit_valid, act_shifted[2*AW-1:SIMD],
                    s1_act_off[2:0],
                    scale_src[2*THR_W]};

  // ------------------------------------------------------------------ properties
  // The lanes run in step (same control, same latencies): lane 0's valids stand for all
  // (the controller's drain checks and the bit writer use them).
  `ECG_BNN_ASSERT(EngLanesInStep, (xnor_valid == '0 || xnor_valid == '1)
                  && (conv1_valid == '0 || conv1_valid == '1)
                  && (pool_valid == '0 || pool_valid == '1) && (bit_valid == '0 || bit_valid == '1))
  // The conv sums take the pads only while the scaler runs, never in a cycle with a block-1
  // sample (the run's positions are the samples and pads of the schedule alone)
  `ECG_BNN_ASSERT(EngTapsPadWhileIdle, !(pad_shift_q && s1_valid && block1))
  // The lanes' bits are written at a multiple of PE (the replicated write data rely on it).
  // Simulation only, as EngStreamInStep below: out_bit's alignment rests on the layer table.
`ifndef FORMAL
  `ECG_BNN_ASSERT(EngBitsAligned, !bit_valid[0] || (32'(out_off) % PE) == 0)
  // Every chunk starts on a byte of the read words (the slice shifter drops the offset's low
  // three bits); likewise simulation only, it rests on the layer table.
  `ECG_BNN_ASSERT(EngChunkOnByte, !(s1_valid && !block1) || s1_act_off[2:0] == 3'd0)
`endif
  // The parameter stream is in step with the engine: every record taken belongs to the layer
  // being loaded (threshold records) or scored (coefficients). Simulation only: it holds because
  // both walk the same layer table from reset, which one k-step induction cannot see.
`ifndef FORMAL
  `ECG_BNN_ASSERT(EngStreamInStep, !(trom_re || coef_re) || (unpack_layer == layer_o
                  && (trom_re ? !block6 : block6)))
`endif

endmodule

`default_nettype wire
