// ecg_bnn_engine_ctrl: the engine's controller. The state machine walks the six layers of a
// window (layer table: rtl/ecg_bnn_network.svh); per layer the channel groups of PE output
// channels (outer loop), the conv positions (middle) and the SIMD-bit chunks of a weight row
// (inner, blocks 2-6); block 1 takes one input sample per cycle instead. It owns the loop
// counters, the per-layer constants, the weight ROM address and the threshold records' reads
// (waiting for ecg_bnn_unpack where a record is not decoded yet), the issue stage
// (activation, row-buffer and window-buffer reads) with its stage-1 sideband, the bit addresses
// of the activation writes (pad bytes, output bits) and the handshakes with the front end, the
// threshold scaler and the result unit. The datapath (ROMs, activation buffer, PE lanes, tap
// line, scaler, result unit) is in ecg_bnn_engine.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_engine_ctrl #(
  parameter int NUM_CLASSES = 5,
  parameter int SIMD        = 16,    // XNOR bits per chunk
  parameter int PE          = 1,     // output channels in parallel (lanes)
  parameter int N           = 3600,  // samples per window
  parameter int XDEPTH      = 4096,  // window buffer words
  parameter int WROM_AW     = 11,    // weight ROM address bits (from the layer table)
  parameter int BIT_AW      = 13,    // bit address inside an activation-buffer half
  // latencies of the lane's stages (their LATENCY parameters): the drain is their sum
  parameter int XNOR_LAT    = 3,     // ecg_bnn_xnor_pe: last chunk -> popcount
  parameter int CONV1_LAT   = 2,     // ecg_bnn_conv1_pe: taps -> 7-tap sum
  parameter int POOL_LAT    = 3,     // ecg_bnn_maxpool: input -> pooled value
  parameter int THR_LAT     = 1      // ecg_bnn_threshold: conv value -> code (blocks 1-5)
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  // the front end's window (docs/input_contract.md)
  input  logic                          win_ready_i,
  input  logic [2:0]                    win_flags_i,    // {clipped, low, flat}
  output logic                          win_release_o,
  output logic [2:0]                    flags_o,        // the window's flags, latched at its start
  // status
  output logic                          busy_o,
  output logic [2:0]                    layer_o,
  output logic                          block1_o,       // layer 1: raw samples, scaled thresholds
  output logic                          block6_o,       // layer 6: scores instead of bits
  // weight ROM reads and threshold records (ecg_bnn_unpack, in stream order); the word read in
  // an ST_LOAD cycle arrives in the next
  output logic                          wrom_re_o,
  output logic [WROM_AW-1:0]            wrom_addr_o,
  output logic                          trom_re_o,
  input  logic                          trom_ready_i,   // a record is decoded (its next)
  output logic                          stream_start_o, // a window starts: restart the stream
  output logic                          rom_valid_o,    // the ROM words of the last cycle's read
  output logic [((PE > 1) ? $clog2(PE) : 1)-1:0] rom_lane_o,  // ... belong to this lane
  output logic [4:0]                    rom_word_o,     // ... are this word of its weight row
  output logic                          rom_first_o,    // ... with its threshold word (word 0)
  // block-1 threshold scaler (one lane at a time, while the group loads)
  output logic                          scale_start_o,
  output logic [((PE > 1) ? $clog2(PE) : 1)-1:0] scale_lane_o,  // lane of the running scale
  input  logic                          scale_busy_i,
  input  logic                          scale_done_i,
  // issue stage: one chunk (blocks 2-6) or one input sample (block 1) per ST_RUN cycle
  output logic                          act_re_o,       // activation and row buffer reads
  output logic                          src_half_o,     // activation-buffer half read
  output logic [BIT_AW-1:0]             in_bit_o,       // the chunk's first bit in the input map
  output logic [8:0]                    row_bit_o,      // the chunk's first bit in the weight row
  output logic                          xbuf_re_o,
  output logic [$clog2(XDEPTH)-1:0]     xbuf_raddr_o,
  // stage 1: the cycle after the issue, when the read data are there
  output logic                          s1_valid_o,
  output logic                          s1_first_o,     // first chunk of a conv output
  output logic                          s1_last_o,      // last chunk of a conv output
  output logic [SIMD-1:0]               s1_mask_o,      // the chunk's valid bits
  output logic [$clog2((SIMD > 16) ? SIMD : 16)-1:0] s1_act_off_o,  // chunk offset in the read words
  output logic [$clog2((SIMD > 16) ? SIMD : 16)-1:0] s1_row_off_o,  // ... and in the row word
  output logic                          s1_pad_o,       // block 1: the position is padding (P)
  output logic                          s1_odd_o,       // block 1: odd position, a conv output
  // lanes: a new group clears the pools and score sums; lane 0's stage outputs (all lanes run
  // in step) advance the output bit address and are checked against the drain
  output logic                          group_clear_o,
  input  logic                          xnor_valid_i,
  input  logic                          conv1_valid_i,
  input  logic                          pool_valid_i,
  input  logic                          bit_valid_i,
  // activation-buffer writes: pad bytes (ST_PAD) or the lanes' output bits
  output logic                          dst_half_o,
  output logic                          pad_we_o,
  output logic [BIT_AW-4:0]             pad_byte_o,     // byte address inside the half
  output logic [BIT_AW-1:0]             out_bit_o,      // bit address of lane 0's next bit
  // scoring (block 6) and the result unit
  output logic [((PE > 1) ? $clog2(PE) : 1)-1:0] score_lane_o,
  output logic                          res_clear_o,
  output logic                          res_calc_o,
  output logic                          res_finish_o,
  input  logic                          res_free_i,
  input  logic                          res_busy_i
);

  // ------------------------------------------------------------------ network table
  // lay_cin/lay_cout/lay_lout/lay_wbase/lay_tbase, NET_N, NET_PAD, NET_ACT_BITS: generated from
  // pymodel/network.py (python -m pymodel.network_svh), so the shape is written down once
`include "ecg_bnn_network.svh"
  function automatic int lay_wpr(input int l);   // 16-bit ROM words per weight row
    lay_wpr = (7 * lay_cin(l) + 15) / 16;
  endfunction
  function automatic int lay_nch(input int l);   // SIMD chunks per weight row
    lay_nch = (7 * lay_cin(l) + SIMD - 1) / SIMD;
  endfunction
  function automatic int lay_lastvb(input int l);  // valid bits of the last chunk
    lay_lastvb = 7 * lay_cin(l) - (lay_nch(l) - 1) * SIMD;
  endfunction

  localparam int AW         = (SIMD > 16) ? SIMD : 16;  // activation / row-buffer word
  localparam int LAW        = $clog2(AW);
  localparam int LPW        = (PE > 1) ? $clog2(PE) : 1;
  localparam int XAW        = $clog2(XDEPTH);
  localparam int WROM_DEPTH = lay_wbase(6) + NUM_CLASSES * lay_wpr(6);
  localparam int PBW        = BIT_AW - 3;                 // pad byte address

  // Drain: cycles from the last issue of a group until its last result has left the pipeline,
  // the sum of the stage latencies (EngBitDrained and its siblings check it in every run).
  // Blocks 2-5: issue -> read -> ecg_bnn_xnor_pe -> ecg_bnn_threshold (code) -> ecg_bnn_maxpool,
  // the bit of the pooled code written at the end of the pool's output cycle; block 1 has the
  // shorter ecg_bnn_conv1_pe; block 6 skips the threshold and updates its score sums at the end
  // of the pool's output cycle.
  localparam int READ_LAT   = 1;  // registered reads and this module's stage-1 sideband
  localparam int PE_LAT     = (XNOR_LAT > CONV1_LAT) ? XNOR_LAT : CONV1_LAT;
  localparam int POOL_OUT   = READ_LAT + PE_LAT + POOL_LAT;  // cycles to block 6's pooled value
  localparam int DRAIN      = POOL_OUT + THR_LAT;            // ... to the last bit (blocks 1-5)
  localparam int DCW        = $clog2(DRAIN + 1);

  initial begin
    if (N != NET_N) $fatal(1, "ecg_bnn_engine_ctrl: the layer table is for N = %0d", NET_N);
    if (XDEPTH < N) $fatal(1, "ecg_bnn_engine_ctrl: XDEPTH must hold a whole window (>= N)");
    if (WROM_AW != $clog2(WROM_DEPTH))
      $fatal(1, "ecg_bnn_engine_ctrl: WROM_AW must be the weight ROM address width %0d",
             $clog2(WROM_DEPTH));
    if (BIT_AW != $clog2(NET_ACT_BITS))
      $fatal(1, "ecg_bnn_engine_ctrl: BIT_AW must be %0d", $clog2(NET_ACT_BITS));
    if (XNOR_LAT < 1 || CONV1_LAT < 1 || POOL_LAT < 1 || THR_LAT < 1)
      $fatal(1, "ecg_bnn_engine_ctrl: every stage is registered (latencies >= 1)");
    for (int l = 1; l < 6; l++) begin
      if (lay_wbase(l + 1) != lay_wbase(l) + lay_cout(l) * lay_wpr(l)) $fatal(1, "ecg_bnn_engine_ctrl: bad WBASE table");
      if (lay_tbase(l + 1) != lay_tbase(l) + lay_cout(l)) $fatal(1, "ecg_bnn_engine_ctrl: bad TBASE table");
    end
  end

  // ------------------------------------------------------------------ state
  typedef enum logic [3:0] {
    ST_IDLE, ST_LINIT, ST_WOUT, ST_PAD, ST_LOAD, ST_SCALE, ST_LWAIT, ST_RUN, ST_DRAIN,
    ST_SCORE, ST_SWAIT, ST_NEXT, ST_FINISH
  } state_e;
  state_e state_q;

  logic [2:0]      layer_q;
  logic            block1, block6;
  logic [2:0]      flags_q;
  // per-layer constants, loaded in ST_LINIT from the table entry of layer_q
  logic [6:0]      cin_q;           // C_in: input bits per conv position
  logic [8:0]      cout_q;          // C_out: output bits per pooled position
  logic [9:0]      last_group_n_q;  // ~(C_out - PE): the last group's first channel, inverted
  logic [10:0]     conv_len_q;      // conv outputs the pool needs: 2*L_out + 5
  logic [4:0]      row_words_q;     // 16-bit ROM words per weight row
  logic [6:0]      row_chunks_q;    // SIMD chunks per weight row
  logic [SIMD-1:0] last_mask_q;     // valid bits of a row's last chunk
  logic [5:0]      pad_bytes_q;     // pad bytes per side: NET_PAD*C_out/8 (NET_PAD = 5)
  logic [PBW-1:0]  right_pad_q;     // first byte of the right pad: (L_out+NET_PAD)*C_out/8
  logic [8:0]      pad_bits_q;      // NET_PAD*C_out: first output bit of the map
  // ... and the loops' last values, from the table too, so that no loop end needs an adder
  logic [10:0]     conv_last_q;     // conv_len - 1
  logic [4:0]      row_words_last_q;   // row_words - 1
  logic [6:0]      row_chunks_last_q;  // row_chunks - 1
  logic [PBW-1:0]  left_pad_last_q;    // pad_bytes - 1: the left pad's last byte
  logic [PBW-1:0]  right_pad_last_q;   // right_pad + pad_bytes - 1: the right pad's last byte
  // loop counters
  logic [8:0]      group_ch_q;      // first output channel of the group
  logic [WROM_AW-1:0] wrom_addr_q;  // next weight ROM word
  logic [LPW-1:0]  lane_q;          // lane being loaded (ST_LOAD) or scored (ST_SCORE)
  logic [4:0]      load_word_q;     // word of the weight row being loaded
  logic [10:0]     conv_pos_q;      // conv position t
  logic [6:0]      chunk_q;         // chunk r of the weight row
  logic [BIT_AW-1:0] pos_bit_q;     // t*C_in: conv window t's first input bit
  logic [BIT_AW-1:0] in_bit_q;      // t*C_in + r*SIMD: the chunk's first input bit
  logic [8:0]      row_bit_q;       // r*SIMD: the chunk's first weight bit
  logic [11:0]     in_pos_q;        // block 1: input position (sample or padding)
  logic [PBW-1:0]  pad_byte_q;      // pad byte being written
  logic            pad_right_q;     // the right pad is being written
  logic [DCW-1:0]  drain_cnt_q;     // drain cycles so far
  logic [BIT_AW-1:0] out_bit_q;     // lane 0's next output bit
  // ROM words in flight (the ROM reads are registered) and the scaler's lane
  logic            rom_valid_q, rom_first_q;
  logic [LPW-1:0]  rom_lane_q;
  logic [4:0]      rom_word_q;
  logic [LPW-1:0]  scale_lane_q;
  logic            scale_last_q;    // the lane being scaled is the group's last
  // stage-1 sideband (registered at the issue, with the read data)
  logic            s1_valid_q, s1_first_q, s1_last_q, s1_pad_q, s1_odd_q;
  logic [LAW-1:0]  s1_act_off_q, s1_row_off_q;

  assign block1 = (layer_q == 3'd1);
  assign block6 = (layer_q == 3'd6);

  logic [8:0] lane_ch;      // output channel of lane_q
  logic       last_lane;    // lane_q is the group's last lane with a channel
  logic       last_group;   // the group holds the layer's last channel
  logic       last_word;    // the last word of the row is being loaded
  logic       last_chunk, last_pos, run_done;
  logic       load_stall;   // ST_LOAD waits for the lane's threshold record (word 0, blocks 1-5)
  assign lane_ch    = group_ch_q + 9'(lane_q);
  assign last_lane  = (32'(lane_q) == PE - 1) || (lane_ch + 9'd1 >= cout_q);
  // group_ch + PE >= C_out, as group_ch - (C_out - PE) >= 0: group_ch + ~(C_out - PE) + 1, two
  // registers into one carry chain (the constant is kept inverted: no inverter per bit)
  logic [10:0] group_past;
  assign group_past = 11'(group_ch_q) + {last_group_n_q[9], last_group_n_q} + 11'd1;
  assign last_group = !group_past[10];
  logic unused_past;  // only the sign is used
  assign unused_past = ^group_past[9:0];
  assign last_word  = (load_word_q == row_words_last_q);
  assign last_chunk = (chunk_q == row_chunks_last_q);
  assign last_pos   = (conv_pos_q == conv_last_q);
  assign load_stall = (load_word_q == 5'd0) && !block6 && !trom_ready_i;
  // block 1 reads input positions 0 .. 2*conv_len + 1 (one per cycle, two per conv output)
  assign run_done   = block1 ? (in_pos_q == {conv_len_q, 1'b1}) : (last_chunk && last_pos);

  // ------------------------------------------------------------------ state machine
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= ST_IDLE;
      layer_q <= 3'd1;
    end else begin
      case (state_q)
        ST_IDLE: begin
          if (win_ready_i) begin
            layer_q <= 3'd1;
            state_q <= ST_LINIT;
          end
        end
        ST_LINIT:  state_q <= block6 ? ST_WOUT : ST_PAD;
        ST_WOUT:   if (res_free_i) state_q <= ST_LOAD;
        ST_PAD: begin
          if (pad_right_q && pad_byte_q == right_pad_last_q) state_q <= ST_LOAD;
        end
        ST_LOAD: begin
          if (load_stall)                  state_q <= ST_LOAD;
          else if (block1)                 state_q <= ST_SCALE;
          else if (last_word && last_lane) state_q <= ST_LWAIT;
        end
        ST_SCALE:  if (scale_done_i) state_q <= scale_last_q ? ST_LWAIT : ST_LOAD;
        ST_LWAIT:  state_q <= ST_RUN;
        ST_RUN:    if (run_done) state_q <= ST_DRAIN;
        ST_DRAIN: begin
          if (drain_cnt_q == DCW'(DRAIN - 1)) state_q <= block6 ? ST_SCORE : ST_NEXT;
        end
        ST_SCORE:  if (!res_busy_i && trom_ready_i) state_q <= ST_SWAIT;
        ST_SWAIT: begin
          if (!res_busy_i) state_q <= last_lane ? ST_NEXT : ST_SCORE;
        end
        ST_NEXT: begin
          if (last_group) begin
            if (block6) begin
              state_q <= ST_FINISH;
            end else begin
              layer_q <= layer_q + 3'd1;
              state_q <= ST_LINIT;
            end
          end else begin
            state_q <= ST_LOAD;
          end
        end
        ST_FINISH: state_q <= ST_IDLE;
        default:   state_q <= ST_IDLE;
      endcase
    end
  end

  // ------------------------------------------------------------------ per-layer constants
  // The table functions are only ever called with constant arguments (the loop unrolls), so
  // synthesis sees a 6-entry constant mux and no run-time multiplier or divider (Yosys 0.23
  // `synth_ice40 -dsp` also trips over those).
  logic [6:0]      tab_cin, tab_row_chunks;
  logic [8:0]      tab_cout, tab_pad_bits;
  logic [9:0]      tab_last_group_n;
  logic [10:0]     tab_conv_len;
  logic [4:0]      tab_row_words;
  logic [SIMD-1:0] tab_last_mask;
  logic [5:0]      tab_pad_bytes;
  logic [PBW-1:0]  tab_right_pad;
  logic [WROM_AW-1:0] tab_wbase;
  logic [10:0]     tab_conv_last;
  logic [4:0]      tab_row_words_last;
  logic [6:0]      tab_row_chunks_last;
  logic [PBW-1:0]  tab_left_pad_last, tab_right_pad_last;
  always_comb begin
    tab_cin = '0; tab_cout = '0; tab_last_group_n = '0; tab_conv_len = '0; tab_row_words = '0;
    tab_row_chunks = '0;
    tab_last_mask = '0; tab_pad_bytes = '0; tab_right_pad = '0; tab_pad_bits = '0;
    tab_wbase = '0;
    tab_conv_last = '0; tab_row_words_last = '0; tab_row_chunks_last = '0;
    tab_left_pad_last = '0; tab_right_pad_last = '0;
    for (int l = 1; l <= 6; l++) begin
      if (32'(layer_q) == l) begin
        tab_cin        = 7'(lay_cin(l));
        tab_cout       = 9'(lay_cout(l));
        tab_last_group_n = ~10'(lay_cout(l) - PE);
        tab_conv_len   = 11'(2 * lay_lout(l) + 5);
        tab_row_words  = 5'(lay_wpr(l));
        tab_row_chunks = 7'(lay_nch(l));
        for (int i = 0; i < SIMD; i++) tab_last_mask[i] = (i < lay_lastvb(l));
        tab_pad_bytes  = 6'(NET_PAD * lay_cout(l) / 8);
        tab_right_pad  = PBW'((lay_lout(l) + NET_PAD) * lay_cout(l) / 8);
        tab_pad_bits   = 9'(NET_PAD * lay_cout(l));
        tab_wbase      = WROM_AW'(lay_wbase(l));
        tab_conv_last       = 11'(2 * lay_lout(l) + 4);
        tab_row_words_last  = 5'(lay_wpr(l) - 1);
        tab_row_chunks_last = 7'(lay_nch(l) - 1);
        tab_left_pad_last   = PBW'(NET_PAD * lay_cout(l) / 8 - 1);
        tab_right_pad_last  = PBW'((lay_lout(l) + NET_PAD) * lay_cout(l) / 8 + NET_PAD * lay_cout(l) / 8 - 1);
      end
    end
  end

  // no reset for the constants and counters below: each is set before it is used
  always_ff @(posedge clk_i) begin
    if (state_q == ST_IDLE && win_ready_i) flags_q <= win_flags_i;
    if (state_q == ST_LINIT) begin
      cin_q        <= tab_cin;
      cout_q       <= tab_cout;
      last_group_n_q <= tab_last_group_n;
      conv_len_q   <= tab_conv_len;
      row_words_q  <= tab_row_words;
      row_chunks_q <= tab_row_chunks;
      last_mask_q  <= tab_last_mask;
      pad_bytes_q  <= tab_pad_bytes;
      right_pad_q  <= tab_right_pad;
      pad_bits_q   <= tab_pad_bits;
      conv_last_q       <= tab_conv_last;
      row_words_last_q  <= tab_row_words_last;
      row_chunks_last_q <= tab_row_chunks_last;
      left_pad_last_q   <= tab_left_pad_last;
      right_pad_last_q  <= tab_right_pad_last;
    end
  end

  // ------------------------------------------------------------------ pad writer (ST_PAD)
  // one byte of ones per cycle: the left pad's bytes, then the right pad's
  always_ff @(posedge clk_i) begin
    if (state_q == ST_LINIT) begin
      pad_byte_q  <= '0;
      pad_right_q <= 1'b0;
    end else if (state_q == ST_PAD) begin
      if (!pad_right_q && pad_byte_q == left_pad_last_q) begin
        pad_byte_q  <= right_pad_q;
        pad_right_q <= 1'b1;
      end else begin
        pad_byte_q <= pad_byte_q + PBW'(1);
      end
    end
  end

  // ------------------------------------------------------------------ groups and row loads
  // ST_LOAD reads one weight word per cycle, the rows of the group's lanes one after the
  // other, and a lane's threshold record with its first weight word (blocks 1-5), waiting at
  // that word until the record is decoded
  always_ff @(posedge clk_i) begin
    case (state_q)
      ST_LINIT: begin
        group_ch_q  <= '0;
        wrom_addr_q <= tab_wbase;
        load_word_q <= '0;
        lane_q      <= '0;
      end
      ST_LOAD: begin
        if (!load_stall) begin
          scale_last_q <= last_lane;
          wrom_addr_q  <= wrom_addr_q + WROM_AW'(1);
          if (last_word) begin
            load_word_q <= '0;
            lane_q      <= lane_q + LPW'(1);
          end else begin
            load_word_q <= load_word_q + 5'd1;
          end
        end
      end
      ST_LWAIT: lane_q <= '0;  // the run and the scoring start from lane 0
      ST_SWAIT: if (!res_busy_i) lane_q <= lane_q + LPW'(1);
      ST_NEXT: begin
        group_ch_q  <= group_ch_q + 9'(PE);
        load_word_q <= '0;
        lane_q      <= '0;
      end
      default: ;
    endcase
  end

  // ROM words arrive one cycle after the read: remember whose they are
  always_ff @(posedge clk_i) begin
    if (!rst_ni) rom_valid_q <= 1'b0;
    else         rom_valid_q <= (state_q == ST_LOAD) && !load_stall;
  end
  always_ff @(posedge clk_i) begin
    rom_lane_q  <= lane_q;
    rom_word_q  <= load_word_q;
    rom_first_q <= (load_word_q == 5'd0);
    if (scale_start_o) scale_lane_q <= rom_lane_q;
  end

  // ------------------------------------------------------------------ run counters (ST_RUN)
  always_ff @(posedge clk_i) begin
    if (state_q == ST_LWAIT) begin
      conv_pos_q <= '0;
      chunk_q    <= '0;
      pos_bit_q  <= '0;
      in_bit_q   <= '0;
      row_bit_q  <= '0;
      in_pos_q   <= '0;
    end else if (state_q == ST_RUN) begin
      in_pos_q <= in_pos_q + 12'd1;
      if (last_chunk) begin
        chunk_q    <= '0;
        row_bit_q  <= '0;
        conv_pos_q <= conv_pos_q + 11'd1;
        pos_bit_q  <= pos_bit_q + BIT_AW'(cin_q);  // the next window starts C_in bits later
        in_bit_q   <= pos_bit_q + BIT_AW'(cin_q);
      end else begin
        chunk_q   <= chunk_q + 7'd1;
        row_bit_q <= row_bit_q + 9'(SIMD);
        in_bit_q  <= in_bit_q + BIT_AW'(SIMD);
      end
    end
  end

  // ------------------------------------------------------------------ drain (ST_DRAIN)
  always_ff @(posedge clk_i) begin
    if (state_q == ST_LWAIT)      drain_cnt_q <= '0;
    else if (state_q == ST_DRAIN) drain_cnt_q <= drain_cnt_q + DCW'(1);
  end

  // ------------------------------------------------------------------ issue and stage 1
  logic [LAW-1:0] in_off;  // the chunk's offset in its first activation word
  assign in_off = in_bit_q[LAW-1:0];

  always_ff @(posedge clk_i) begin
    if (!rst_ni) s1_valid_q <= 1'b0;
    else         s1_valid_q <= (state_q == ST_RUN);
  end
  always_ff @(posedge clk_i) begin
    if (state_q == ST_RUN) begin
      s1_first_q   <= (chunk_q == 7'd0);
      s1_last_q    <= last_chunk;
      s1_act_off_q <= in_off;
      s1_row_off_q <= LAW'(row_bit_q);
      s1_pad_q     <= (in_pos_q >= 12'(N));
      s1_odd_q     <= in_pos_q[0];
    end
  end

  // ------------------------------------------------------------------ output bit address
  // lane p writes bit out_bit + p; a pooled position holds C_out bits
  always_ff @(posedge clk_i) begin
    if (bit_valid_i)              out_bit_q <= out_bit_q + BIT_AW'(cout_q);
    else if (state_q == ST_LWAIT) out_bit_q <= BIT_AW'(pad_bits_q) + BIT_AW'(group_ch_q);
  end

  // ------------------------------------------------------------------ outputs
  assign win_release_o = (state_q == ST_NEXT) && block1 && last_group;
  assign flags_o       = flags_q;
  assign busy_o        = (state_q != ST_IDLE);
  assign layer_o       = layer_q;
  assign block1_o      = block1;
  assign block6_o      = block6;

  assign wrom_re_o     = (state_q == ST_LOAD) && !load_stall;
  assign wrom_addr_o   = wrom_addr_q;
  assign trom_re_o     = (state_q == ST_LOAD) && (load_word_q == 5'd0) && !block6 && trom_ready_i;
  assign stream_start_o = (state_q == ST_IDLE) && win_ready_i;
  assign rom_valid_o   = rom_valid_q;
  assign rom_lane_o    = rom_lane_q;
  assign rom_word_o    = rom_word_q;
  assign rom_first_o   = rom_first_q;
  assign scale_start_o = rom_valid_q && block1;  // the lane's weight row and threshold word
  assign scale_lane_o  = scale_lane_q;

  assign act_re_o      = (state_q == ST_RUN) && !block1;
  assign src_half_o    = layer_q[0];   // blocks 2, 4, 6 read half 0; 3, 5 read half 1
  assign dst_half_o    = !layer_q[0];  // blocks 1, 3, 5 write half 0; 2, 4 write half 1
  assign in_bit_o      = in_bit_q;
  assign row_bit_o     = row_bit_q;
  assign xbuf_re_o     = (state_q == ST_RUN) && block1 && (in_pos_q < 12'(N));
  assign xbuf_raddr_o  = XAW'(in_pos_q);

  assign s1_valid_o    = s1_valid_q;
  assign s1_first_o    = s1_first_q;
  assign s1_last_o     = s1_last_q;
  assign s1_mask_o     = s1_last_q ? last_mask_q : '1;
  assign s1_act_off_o  = s1_act_off_q;
  assign s1_row_off_o  = s1_row_off_q;
  assign s1_pad_o      = s1_pad_q;
  assign s1_odd_o      = s1_odd_q;

  assign group_clear_o = (state_q == ST_LWAIT);
  assign pad_we_o      = (state_q == ST_PAD);
  assign pad_byte_o    = pad_byte_q;
  assign out_bit_o     = out_bit_q;

  assign score_lane_o  = lane_q;
  assign res_clear_o   = (state_q == ST_WOUT) && res_free_i;
  assign res_calc_o    = (state_q == ST_SCORE) && !res_busy_i && trom_ready_i;
  assign res_finish_o  = (state_q == ST_FINISH);

  // ------------------------------------------------------------------ properties
  // Window handshake: the engine starts a window on win_ready_i in ST_IDLE, reads the window
  // buffer and releases it exactly once (end of block 1), then hands exactly one finish to the
  // result slot. Some properties also read the scaler's, the result unit's and the lanes'
  // outputs (this module's inputs): they hold of the engine as a whole (engine.sby, top.sby).
`ifdef ECG_BNN_CHECKS
  logic f_rst_q, f_ready_q, f_release_q, f_released_q;
  always @(posedge clk_i) begin
    f_rst_q     <= !rst_ni;
    f_ready_q   <= rst_ni && win_ready_i;
    f_release_q <= rst_ni && win_release_o;
    if (!rst_ni || (state_q == ST_IDLE && win_ready_i)) f_released_q <= 1'b0;
    else if (win_release_o)                             f_released_q <= 1'b1;
  end
`endif
  // the front end holds a full window buffer (and its constants) until it is released
  `ECG_BNN_ASSUME(EngWinReadyHeld, !f_ready_q || win_ready_i || f_release_q)
  `ECG_BNN_ASSERT(EngIdleAfterReset, !f_rst_q || (state_q == ST_IDLE && layer_q == 3'd1))
  `ECG_BNN_ASSERT(EngStateLegal, state_q <= ST_FINISH && layer_q >= 3'd1 && layer_q <= 3'd6)
  `ECG_BNN_ASSERT(EngReadOnlyHeld, !xbuf_re_o || (win_ready_i && !f_released_q && state_q != ST_IDLE))
  `ECG_BNN_ASSERT(EngReleaseOnce, !win_release_o || (win_ready_i && !f_released_q))
  `ECG_BNN_ASSERT(EngFinishAfterRelease, !res_finish_o || f_released_q)
  // invariants: the window buffer is released exactly when block 1 ends (and held until then); the
  // result unit is idle outside ST_SWAIT and its slot free from block 6's ST_WOUT to ST_FINISH
  `ECG_BNN_ASSERT(EngReleasedAfterBlock1, f_released_q == (layer_q != 3'd1))
  `ECG_BNN_ASSERT(EngHoldsWindow, state_q == ST_IDLE || layer_q != 3'd1 || f_ready_q)
  // the scaler (which reads S1 and r) runs only in block 1, while the window is held, and only
  // in ST_SCALE; it is started only when idle
  `ECG_BNN_ASSERT(EngScaleInBlock1, !scale_busy_i || (layer_q == 3'd1 && state_q == ST_SCALE))
  `ECG_BNN_ASSERT(EngScaleStartIdle, !scale_start_o || (!scale_busy_i && state_q == ST_SCALE))
  `ECG_BNN_ASSERT(EngResultIdle, state_q == ST_SWAIT || !res_busy_i)
  // scoring happens in block 6 only (where it may wait for the parameter stream's record)
  `ECG_BNN_ASSERT(EngScoreInBlock6, (state_q != ST_SCORE && state_q != ST_SWAIT)
                  || layer_q == 3'd6)
  `ECG_BNN_ASSERT(EngResultSlotFree, layer_q != 3'd6 || state_q == ST_IDLE || state_q == ST_LINIT
                  || state_q == ST_WOUT || res_free_i)
  // the per-layer constants are the table's for layer_q from ST_LINIT on
  `ECG_BNN_ASSERT(EngLayerConstants, state_q == ST_IDLE || state_q == ST_LINIT
                  || (cin_q == tab_cin && cout_q == tab_cout && conv_len_q == tab_conv_len
                      && last_group_n_q == tab_last_group_n
                      && row_words_q == tab_row_words && row_chunks_q == tab_row_chunks
                      && last_mask_q == tab_last_mask && pad_bytes_q == tab_pad_bytes
                      && right_pad_q == tab_right_pad && pad_bits_q == tab_pad_bits
                      && conv_last_q == conv_len_q - 11'd1
                      && row_words_last_q == row_words_q - 5'd1
                      && row_chunks_last_q == row_chunks_q - 7'd1
                      && left_pad_last_q == PBW'(pad_bytes_q) - PBW'(1)
                      && right_pad_last_q == right_pad_q + PBW'(pad_bytes_q) - PBW'(1)))
  // the pad writer stays inside the layer's two pads (5 positions on each side of the map)
  `ECG_BNN_ASSERT(EngPadInPads, state_q != ST_PAD || (pad_right_q
                  ? (pad_byte_q >= right_pad_q && pad_byte_q < right_pad_q + PBW'(pad_bytes_q))
                  : pad_byte_q < PBW'(pad_bytes_q)))
  // groups and lanes: a group starts at a channel of the layer; the run starts from lane 0; the
  // lane being scored holds a class (the last group of block 6 may have idle lanes)
  `ECG_BNN_ASSERT(EngGroupInLayer, state_q == ST_IDLE || state_q == ST_LINIT
                  || state_q == ST_FINISH || group_ch_q < cout_q)
  // a chunk's first weight bit r*SIMD is word-aligned in the row buffer when SIMD >= AW (the
  // lanes then drop the row shifter): the run's row bit and the stage-1 offset stay aligned
  `ECG_BNN_ASSERT(EngRowChunkAligned, SIMD < AW || ((state_q != ST_RUN
                  || row_bit_q[LAW-1:0] == '0) && (!s1_valid_q || s1_row_off_q == '0)))
  `ECG_BNN_ASSERT(EngLaneZeroInRun, (state_q != ST_RUN && state_q != ST_DRAIN) || lane_q == '0)
  `ECG_BNN_ASSERT(EngScoreLane, (state_q != ST_SCORE && state_q != ST_SWAIT)
                  || (32'(lane_q) < PE && lane_ch < cout_q))
  // Drain: a result is in the pipeline only in ST_RUN and in the first cycles of ST_DRAIN: a
  // stage's output (lane 0's; the lanes run in step) only up to its latency from the issue, the
  // bit writes (the last stage) only up to DRAIN. So no stage is busy once the drain is over
  // (ST_NEXT, ST_SCORE reading the score sums, ST_LINIT, ST_IDLE ...): DRAIN is long enough.
  `ECG_BNN_ASSERT(EngDrainCount, state_q == ST_DRAIN ? drain_cnt_q < DCW'(DRAIN)
                  : (state_q != ST_RUN || drain_cnt_q == '0))
  `ECG_BNN_ASSERT(EngStage1Drained, !s1_valid_q || state_q == ST_RUN
                  || (state_q == ST_DRAIN && drain_cnt_q < DCW'(READ_LAT)))
  `ECG_BNN_ASSERT(EngXnorDrained, !xnor_valid_i || state_q == ST_RUN
                  || (state_q == ST_DRAIN && drain_cnt_q < DCW'(READ_LAT + XNOR_LAT)))
  `ECG_BNN_ASSERT(EngConv1Drained, !conv1_valid_i || state_q == ST_RUN
                  || (state_q == ST_DRAIN && drain_cnt_q < DCW'(READ_LAT + CONV1_LAT)))
  `ECG_BNN_ASSERT(EngPoolDrained, !pool_valid_i || state_q == ST_RUN
                  || (state_q == ST_DRAIN && drain_cnt_q < DCW'(block6 ? POOL_OUT : DRAIN)))
  `ECG_BNN_ASSERT(EngBitDrained, !bit_valid_i || state_q == ST_RUN
                  || (state_q == ST_DRAIN && drain_cnt_q < DCW'(DRAIN)))
  `ECG_BNN_COVER(EngStart, state_q == ST_IDLE && win_ready_i)
  `ECG_BNN_COVER(EngBlock1Scales, state_q == ST_SCALE && scale_done_i)
  `ECG_BNN_COVER(EngBlock1Runs, state_q == ST_RUN && xbuf_re_o)

endmodule

`default_nettype wire
