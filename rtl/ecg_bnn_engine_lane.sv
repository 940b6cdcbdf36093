// ecg_bnn_engine_lane: one output-channel lane of the engine. It holds its channel's weight row
// (blocks 2-6: a row buffer, loaded once per channel group from the weight ROM; block 1: the 7
// weight bits in a register) and threshold word, and runs the channel's pipeline:
//   blocks 2-5: row-buffer read -> ecg_bnn_xnor_pe -> ecg_bnn_threshold (code) -> ecg_bnn_maxpool
//               -> the pooled code's bit (ecg_bnn_threshold)
//   block 1:    7-tap sum (ecg_bnn_conv1_pe) -> ecg_bnn_threshold (code) -> ecg_bnn_maxpool -> bit
//   block 6:    row-buffer read -> ecg_bnn_xnor_pe -> ecg_bnn_maxpool -> ecg_bnn_score_acc
// (the threshold codes each conv value before the pool, so the pool is 10 bits wide, not the
// 20 of block 1's conv values: ecg_bnn_threshold says why that is exact).
// The activation slice, the chunk mask, the block-1 input position and all control come from
// ecg_bnn_engine and ecg_bnn_engine_ctrl, shared by the PE lanes, which run in step. The stage
// latencies are the engine's parameters, passed to each stage (which checks them): the drain is
// their sum.
`default_nettype none
`timescale 1ns / 1ps

module ecg_bnn_engine_lane #(
  parameter int SIMD      = 16,       // XNOR bits per chunk
  parameter int ROW_BITS  = 7 * 64,   // longest weight row (7*C_in of block 6)
  parameter int X_W       = 17,       // block-1 tap: sample or pad value
  parameter int THR_W     = 24,       // threshold fields (signed)
  parameter int XNOR_LAT  = 3,        // LATENCY of ecg_bnn_xnor_pe
  parameter int CONV1_LAT = 2,        // LATENCY of ecg_bnn_conv1_pe
  parameter int POOL_LAT  = 3,        // LATENCY of ecg_bnn_maxpool
  parameter int THR_LAT   = 1         // LATENCY of ecg_bnn_threshold
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic                          block1_i,       // layer 1: raw samples, conv1 path
  input  logic                          block6_i,       // layer 6: score sums instead of bits
  input  logic                          group_clear_i,  // new channel group: restart pool, sums
  // the group's load: ROM words of the previous cycle's read
  input  logic                          load_i,         // the words are this lane's
  input  logic [4:0]                    load_word_i,    // word of the weight row
  input  logic                          load_first_i,   // word 0, with the threshold word
  input  logic [15:0]                   wrom_data_i,
  input  logic [2*THR_W:0]              trom_data_i,    // {inv, hi, lo} (blocks 1-5)
  input  logic                          scaled_hi_i,    // block 1: scaled_thr_i is this lane's hi'
  input  logic                          scaled_lo_i,    // block 1: scaled_thr_i is this lane's lo'
  input  logic [THR_W-1:0]              scaled_thr_i,   // the scaler's result (raw units)
  output logic [2*THR_W:0]              thr_o,          // the threshold word (block 1: scaler)
  // issue stage (blocks 2-6): row-buffer read of the chunk starting at weight bit row_bit_i
  input  logic                          rb_re_i,
  input  logic [8:0]                    row_bit_i,
  // stage 1: the chunk (read data of the issue) or the block-1 input position
  input  logic                          s1_valid_i,
  input  logic                          s1_first_i,
  input  logic                          s1_last_i,
  input  logic                          s1_odd_i,       // block 1: x_i ends a conv window
  input  logic [$clog2((SIMD > 16) ? SIMD : 16)-1:0] s1_row_off_i,  // chunk offset in the row word
  input  logic [SIMD-1:0]               act_i,          // activation slice of the chunk
  input  logic [SIMD-1:0]               mask_i,         // its valid bits
  input  logic                          shift_i,        // block 1: x_i enters the conv sums
  input  logic [X_W-1:0]                x_i,            // block 1: a sample or the pad value
  // stage outputs
  output logic                          xnor_valid_o,
  output logic                          conv1_valid_o,
  output logic                          pool_valid_o,
  output logic                          bit_valid_o,    // bit_o is the lane's next output bit
  output logic                          bit_o,
  output logic signed [15:0]            s_pos_o,        // block 6: the channel's score sums
  output logic signed [15:0]            s_neg_o
);

  localparam int AW       = (SIMD > 16) ? SIMD : 16;   // row-buffer word
  localparam int LAW      = $clog2(AW);
  localparam int RPW      = AW / 16;                   // ROM words per row-buffer word
  localparam int RB_DEPTH = 1 << $clog2((ROW_BITS + AW - 1) / AW);
  localparam int RBA      = $clog2(RB_DEPTH);
  localparam int ACC_W    = 20;                        // conv value width (block 1)
  localparam int POOL_W   = 10;                        // pooled: block 6's popcounts, or codes
  localparam int TW       = 2 * THR_W + 1;

  // ------------------------------------------------------------------ weights
  // blocks 2-6: the row buffer, ROM word by ROM word (RPW of them per row-buffer word)
  logic [AW-1:0]  rb_rdata, rb_wmask, rb_shifted;
  logic [RBA-1:0] rb_waddr;
  if (RPW == 1) begin : g_rb1
    assign rb_waddr = RBA'(load_word_i);
    assign rb_wmask = '1;
  end else begin : g_rbn
    assign rb_waddr = RBA'(load_word_i >> $clog2(RPW));
    assign rb_wmask = AW'(16'hFFFF) << (16 * (32'(load_word_i) % RPW));
  end

  ecg_bnn_ram_sdp #(.DEPTH(RB_DEPTH), .WIDTH(AW)) u_rowbuf (
    .clk_i,
    .we_i(load_i && !block1_i), .waddr_i(rb_waddr), .wdata_i({RPW{wrom_data_i}}),
    .wmask_i(rb_wmask),
    .re_i(rb_re_i), .raddr_i(RBA'(row_bit_i >> LAW)), .rdata_o(rb_rdata)
  );
  // A chunk starts at weight bit r*SIMD: with SIMD >= 16 (AW = SIMD) at a word boundary, so
  // only SIMD = 8 needs the shifter (the controller's offset is 0 otherwise: EngRowChunkAligned)
  if (SIMD < AW) begin : g_rb_shift
    assign rb_shifted = rb_rdata >> s1_row_off_i;
  end else begin : g_rb_aligned
    assign rb_shifted = rb_rdata;
    logic unused_off;
    assign unused_off = ^{s1_row_off_i};
  end

  // block 1: the channel's 7 weight bits (the row is one ROM word)
  logic [6:0] w1_q;
  always_ff @(posedge clk_i) begin
    if (load_i && block1_i) w1_q <= wrom_data_i[6:0];
  end

  // ------------------------------------------------------------------ pipeline
  logic                     xb_valid, c1_valid, conv_valid, code_valid;
  logic                     pool_in_valid, pool_valid;
  logic [8:0]               xb_out;
  logic signed [ACC_W-1:0]  c1_out, conv_out;
  logic [1:0]               code;
  logic signed [POOL_W-1:0] pool_in, pool_out;

  ecg_bnn_xnor_pe #(.SIMD(SIMD), .ACC_W(9), .LATENCY(XNOR_LAT)) u_xnor (
    .clk_i, .rst_ni,
    .valid_i(s1_valid_i && !block1_i), .first_i(s1_first_i), .last_i(s1_last_i),
    .act_i, .w_i(rb_shifted[SIMD-1:0]), .mask_i,
    .out_valid_o(xb_valid), .out_o(xb_out)
  );

  ecg_bnn_conv1_pe #(.X_W(X_W), .ACC_W(ACC_W), .LATENCY(CONV1_LAT)) u_conv1 (
    .clk_i, .rst_ni,
    .shift_i, .valid_i(s1_valid_i && s1_odd_i && block1_i), .x_i, .w_i(w1_q),
    .out_valid_o(c1_valid), .out_o(c1_out)
  );

  assign conv_valid = block1_i ? c1_valid : xb_valid;
  assign conv_out   = block1_i ? c1_out : ACC_W'(xb_out);

  // blocks 1-5: every conv value's threshold code, pooled (the max of the codes is the code of
  // the pooled value: ecg_bnn_threshold), then the bit of the pooled code
  logic          thr_load, thr_scaled;
  logic [TW-1:0] thr_word;
  assign thr_load   = load_i && load_first_i && !block6_i;
  assign thr_scaled = scaled_hi_i || scaled_lo_i;
  assign thr_word   = thr_scaled ? {1'b0, scaled_thr_i, scaled_thr_i} : trom_data_i;

  ecg_bnn_threshold #(.W(ACC_W), .THR_W(THR_W), .LATENCY(THR_LAT)) u_thr (
    .clk_i, .rst_ni,
    .load_i(thr_load), .load_hi_i(scaled_hi_i), .load_lo_i(scaled_lo_i), .thr_i(thr_word),
    .thr_o,
    .valid_i(conv_valid && !block6_i), .m_i(conv_out),
    .out_valid_o(code_valid), .code_o(code),
    .code_i(pool_out[1:0]), .bit_o
  );

  // the pool: block 6's popcounts (its score sums need the pooled values), else the codes
  assign pool_in_valid = block6_i ? xb_valid : code_valid;
  assign pool_in       = block6_i ? POOL_W'(xb_out) : POOL_W'(code);

  ecg_bnn_maxpool #(.W(POOL_W), .LATENCY(POOL_LAT)) u_pool (
    .clk_i, .rst_ni, .clear_i(group_clear_i),
    .valid_i(pool_in_valid), .x_i(pool_in),
    .out_valid_o(pool_valid), .out_o(pool_out)
  );

  assign bit_valid_o = pool_valid && !block6_i;

  ecg_bnn_score_acc #(.W(POOL_W), .ROWS(ROW_BITS)) u_score (
    .clk_i, .clear_i(group_clear_i), .valid_i(pool_valid && block6_i), .m_i(pool_out),
    .s_pos_o, .s_neg_o
  );

  assign xnor_valid_o  = xb_valid;
  assign conv1_valid_o = c1_valid;
  assign pool_valid_o  = pool_valid;

  logic unused;
  assign unused = ^{rb_shifted};  // only the low SIMD bits are a chunk

endmodule

`default_nettype wire
