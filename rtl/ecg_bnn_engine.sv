// ecg_bnn_engine: runs the six layers of one window from the window buffer (raw samples) to the
// result register.
// Loop order per layer: channel groups of PE output channels (outer), conv positions t
// (middle), SIMD-bit chunks of the 7*C_in-bit weight row (inner, blocks 2-6). A group's weight
// rows are copied once from the weight ROM into per-PE row buffers (weight-stationary) and its
// thresholds into the PEs' threshold units; then every conv position streams through
//   issue -> RAM read -> XNOR/popcount -> accumulate -> max pool -> threshold -> bit write
// (block 1: sample read -> 7-tap line (pad P) -> signed 7-tap sum -> max pool -> threshold ->
//  bit write, with per-window thresholds from ecg_bnn_thr_scale while the group loads;
//  block 6: ... max pool -> S_pos/S_neg -> ecg_bnn_result).
// Activations are bits of the padded map (pad positions written as ones before each layer) in
// a ping-pong activation buffer (ecg_bnn_actbuf); output bits are written with bit masks.
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_engine #(
  parameter int NUM_CLASSES     = 5,
  parameter int SIMD            = 16,  // XNOR bits per cycle per PE (8, 16, 32 or 64)
  parameter int PE              = 1,   // output channels in parallel (1, 2, 4 or 8)
  parameter     WEIGHTS_FILE    = "",
  parameter     THRESHOLDS_FILE = "",
  parameter     SCORES_FILE     = "",
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
  // ------------------------------------------------------------------ derived sizes
  localparam int AW         = (SIMD > 16) ? SIMD : 16;    // activation / row-buffer word
  localparam int LAW        = $clog2(AW);
  localparam int RPW        = AW / 16;                    // ROM words per row-buffer entry
  localparam int RB_DEPTH   = 1 << $clog2((7 * 64 + AW - 1) / AW);
  localparam int RBA        = $clog2(RB_DEPTH);
  localparam int ACT_BITS   = NET_ACT_BITS;               // largest padded map
  localparam int HALF_WORDS = 1 << $clog2((ACT_BITS + AW - 1) / AW);
  localparam int WI         = $clog2(HALF_WORDS) + 1;     // activation word index (with half)
  localparam int WROM_DEPTH = lay_wbase(6) + NUM_CLASSES * lay_wpr(6);
  localparam int WRA        = $clog2(WROM_DEPTH);
  localparam int TROM_DEPTH = lay_tbase(6);
  localparam int TRA        = $clog2(TROM_DEPTH);
  localparam int XAW        = $clog2(XDEPTH);
  localparam int LPW        = (PE > 1) ? $clog2(PE) : 1;
  localparam int BW         = 13;                         // bit address inside a half
  localparam int DRAIN      = 8;                          // issue -> last write, cycles
  localparam int ACC_W      = 20;                         // conv / pooled value width
  localparam int THR_W      = 24;                         // threshold ROM fields (signed)
  localparam int TW         = 2 * THR_W + 1;              // threshold word {inv, hi, lo}
  localparam int X_W        = 17;                         // block-1 tap: sample or pad P

  initial begin
    if (SIMD != 8 && SIMD != 16 && SIMD != 32 && SIMD != 64)
      $fatal(1, "ecg_bnn_engine: SIMD must be 8, 16, 32 or 64 (got %0d)", SIMD);
    if (PE != 1 && PE != 2 && PE != 4 && PE != 8)
      $fatal(1, "ecg_bnn_engine: PE must be 1, 2, 4 or 8 to divide every hidden layer's channels (got %0d)", PE);
    if (NUM_CLASSES < 2 || NUM_CLASSES > 255)
      $fatal(1, "ecg_bnn_engine: NUM_CLASSES must lie in [2, 255] (got %0d)", NUM_CLASSES);
    if (N != NET_N) $fatal(1, "ecg_bnn_engine: the layer table is for N = %0d", NET_N);
    if (XDEPTH < N) $fatal(1, "ecg_bnn_engine: XDEPTH must hold a whole window (>= N)");
    for (int l = 1; l < 6; l++) begin
      if ((lay_lout(l) + 2 * NET_PAD) * lay_cout(l) > ACT_BITS) $fatal(1, "ecg_bnn_engine: ACT_BITS too small");
      if (lay_wbase(l + 1) != lay_wbase(l) + lay_cout(l) * lay_wpr(l)) $fatal(1, "ecg_bnn_engine: bad WBASE table");
      if (lay_tbase(l + 1) != lay_tbase(l) + lay_cout(l)) $fatal(1, "ecg_bnn_engine: bad TBASE table");
    end
  end

  // ------------------------------------------------------------------ state
  typedef enum logic [3:0] {
    ST_IDLE, ST_LINIT, ST_WOUT, ST_PAD, ST_LOAD, ST_SCALE, ST_LWAIT, ST_RUN, ST_DRAIN,
    ST_SCORE, ST_SWAIT, ST_NEXT, ST_FINISH
  } state_e;
  state_e state_q;

  logic [2:0]      layer_q;
  logic            is_l1, is_l6;
  logic [2:0]      flags_q;     // {clipped, low, flat} of the window
  logic            scale_last_q; // the lane being scaled is the group's last
  // per-layer constants (loaded in ST_LINIT)
  logic [6:0]      cin_q;
  logic [8:0]      cout_q;
  logic [10:0]     tused_q;     // conv outputs needed by the pool: 2*L_out + 5
  logic [4:0]      wpr_q;
  logic [6:0]      nch_q;
  logic [SIMD-1:0] lastmask_q;
  logic [5:0]      padb_q;      // pad bytes per side: 5*C_out/8
  logic [9:0]      pad2_q;      // first byte of the right pad: (L_out+5)*C_out/8
  logic [8:0]      padbits_q;   // 5*C_out
  // loop counters
  logic [8:0]      c0_q;        // first channel of the group
  logic [WRA-1:0]  wa_q;        // weight ROM pointer
  logic [TRA-1:0]  ta_q;        // threshold ROM pointer
  logic [LPW-1:0]  lp_q;        // lane being loaded / scored
  logic [4:0]      li_q;        // word of the row being loaded
  logic [10:0]     t_q;         // conv position
  logic [6:0]      r_q;         // chunk of the row
  logic [BW-1:0]   bt_q, b_q;   // t*C_in, t*C_in + r*SIMD
  logic [8:0]      rbit_q;      // r*SIMD
  logic [11:0]     s_q;         // block-1 input position
  logic [9:0]      ba_q;        // pad byte address
  logic            pside_q;     // right pad
  logic [3:0]      dr_q;
  logic [BW-1:0]   wb_q;        // output bit address

  assign is_l1 = (layer_q == 3'd1);
  assign is_l6 = (layer_q == 3'd6);

  // lane bookkeeping
  logic [8:0] lane_c;           // channel of lane lp_q
  logic       lane_last;        // lp_q is the group's last active lane
  assign lane_c    = c0_q + 9'(lp_q);
  assign lane_last = (32'(lp_q) == PE - 1) || (lane_c + 9'd1 >= cout_q);

  // result unit handshake
  logic res_clear, res_calc, res_busy, res_finish, res_free;
  logic signed [15:0] res_s_pos, res_s_neg;

  // ------------------------------------------------------------------ ROMs
  logic            wrom_re, trom_re;
  logic [15:0]     wrom_data;
  logic [TW-1:0]   trom_data;

  ecg_bnn_rom #(.DEPTH(WROM_DEPTH), .WIDTH(16), .MEM_FILE(WEIGHTS_FILE)) u_wrom (
    .clk_i, .re_i(wrom_re), .addr_i(wa_q), .data_o(wrom_data)
  );
  ecg_bnn_rom #(.DEPTH(TROM_DEPTH), .WIDTH(TW), .MEM_FILE(THRESHOLDS_FILE)) u_trom (
    .clk_i, .re_i(trom_re), .addr_i(ta_q), .data_o(trom_data)
  );

  assign wrom_re = (state_q == ST_LOAD);
  assign trom_re = (state_q == ST_LOAD) && (li_q == 5'd0) && !is_l6;

  // load pipeline (ROM data valid the cycle after the read)
  logic           ld_v_q, ld_first_q;
  logic [LPW-1:0] ld_lane_q;
  logic [4:0]     ld_word_q;

  // ------------------------------------------------------------------ issue stage
  logic issue_b, issue_1;
  assign issue_b = (state_q == ST_RUN) && !is_l1;
  assign issue_1 = (state_q == ST_RUN) && is_l1;

  logic            src_half, dst_half;
  assign src_half = layer_q[0];    // blocks 2, 4, 6 read half 0; 3, 5 read half 1
  assign dst_half = !layer_q[0];   // blocks 1, 3, 5 write half 0; 2, 4 write half 1

  logic [LAW-1:0]  b_off;
  logic            need_hi;
  assign b_off   = b_q[LAW-1:0];
  assign need_hi = (32'(b_off) + SIMD) > AW;

  // stage 1 sideband
  logic            v1_q, first1_q, last1_q, pad1_q, odd1_q;
  logic [LAW-1:0]  off1_q;
  logic [LAW-1:0]  sub1_q;

  assign xbuf_re_o    = issue_1 && (s_q < 12'(N));
  assign xbuf_raddr_o = XAW'(s_q);

  // ------------------------------------------------------------------ activation buffer
  logic            act_we;
  logic [WI-1:0]   act_wword;
  logic [AW-1:0]   act_wdata, act_wmask;
  logic [2*AW-1:0] act_rdata;
  logic [WI-1:0]   act_rword;

  assign act_rword = {src_half, (WI-1)'(b_q >> LAW)};

  ecg_bnn_actbuf #(.AW(AW), .WORDS(2 * HALF_WORDS)) u_act (
    .clk_i,
    .we_i(act_we), .wword_i(act_wword), .wdata_i(act_wdata), .wmask_i(act_wmask),
    .re_i(issue_b), .rhi_i(need_hi), .rword_i(act_rword), .rdata_o(act_rdata)
  );

  // stage 1: the activation slice, the chunk mask and the block-1 tap (sample or pad P)
  logic [SIMD-1:0]   act_slice, chunk_mask;
  logic [2*AW-1:0]   act_shifted;
  assign act_shifted = act_rdata >> off1_q;
  assign act_slice   = act_shifted[SIMD-1:0];
  assign chunk_mask  = last1_q ? lastmask_q : '1;

  logic [X_W-1:0]     xval;
  logic [7*X_W-1:0]   taps_q, taps_next;
  assign xval      = pad1_q ? win_pad_i : X_W'($signed(xbuf_rdata_i));
  assign taps_next = {xval, taps_q[7*X_W-1:X_W]};

  // ------------------------------------------------------------------ block-1 threshold scaler
  // Each block-1 lane's ROM thresholds (Q14 z units) become this window's raw-unit thresholds:
  // ST_LOAD reads the lane's weight row and threshold word, ST_SCALE runs the scaler on them
  // and loads the result into the lane's threshold unit.
  logic                 scale_start, scale_busy, scale_done;
  logic [TW-1:0]        scale_thr;
  logic [LPW-1:0]       scale_lane_q;
  assign scale_start = ld_v_q && is_l1;

  ecg_bnn_thr_scale #(.N(N), .THR_W(THR_W)) u_scale (
    .clk_i, .rst_ni,
    .start_i(scale_start), .thr_i(trom_data), .w_i(wrom_data[6:0]),
    .s1_i(win_s1_i), .r_i(win_r_i),
    .busy_o(scale_busy), .done_o(scale_done), .thr_o(scale_thr)
  );

  // ------------------------------------------------------------------ lanes
  logic [PE-1:0]       bit_valid, bits, pool_valid;
  logic [15:0]         lane_s_pos [PE];
  logic [15:0]         lane_s_neg [PE];
  logic                grp_clear;
  assign grp_clear = (state_q == ST_LWAIT);

  for (genvar p = 0; p < PE; p++) begin : g_lane
    logic              ld_this, thr_load;
    logic [TW-1:0]     thr_word;
    logic [AW-1:0]     rb_rdata, rb_wmask, rb_shifted;
    logic [RBA-1:0]    rb_waddr;
    logic [6:0]        w1_q;
    logic              xb_valid, c1_valid, pv;
    logic [8:0]        xb_out;
    logic signed [ACC_W-1:0] c1_out, pool_in, pool_out;
    logic              pool_in_valid;
    logic signed [15:0] sp, sn;

    assign ld_this = ld_v_q && (ld_lane_q == LPW'(p));

    if (RPW == 1) begin : g_rb1
      assign rb_waddr = RBA'(ld_word_q);
      assign rb_wmask = '1;
    end else begin : g_rbn
      assign rb_waddr = RBA'(ld_word_q >> $clog2(RPW));
      assign rb_wmask = AW'(16'hFFFF) << (16 * (32'(ld_word_q) % RPW));
    end

    ecg_bnn_ram_sdp #(.DEPTH(RB_DEPTH), .WIDTH(AW)) u_rowbuf (
      .clk_i,
      .we_i(ld_this && !is_l1), .waddr_i(rb_waddr), .wdata_i({RPW{wrom_data}}),
      .wmask_i(rb_wmask),
      .re_i(issue_b), .raddr_i(RBA'(rbit_q >> LAW)), .rdata_o(rb_rdata)
    );
    assign rb_shifted = rb_rdata >> sub1_q;
    logic unused_lane;
    assign unused_lane = ^{rb_shifted};  // only the low SIMD bits are used

    always_ff @(posedge clk_i) begin
      if (ld_this && is_l1) w1_q <= wrom_data[6:0];
    end

    ecg_bnn_xnor_pe #(.SIMD(SIMD), .ACC_W(9)) u_xnor (
      .clk_i, .rst_ni,
      .valid_i(v1_q && !is_l1), .first_i(first1_q), .last_i(last1_q),
      .act_i(act_slice), .w_i(rb_shifted[SIMD-1:0]), .mask_i(chunk_mask),
      .out_valid_o(xb_valid), .out_o(xb_out)
    );

    ecg_bnn_conv1_pe #(.X_W(X_W), .ACC_W(ACC_W)) u_conv1 (
      .clk_i, .rst_ni,
      .valid_i(v1_q && odd1_q && is_l1), .taps_i(taps_next), .w_i(w1_q),
      .out_valid_o(c1_valid), .out_o(c1_out)
    );

    assign pool_in_valid = is_l1 ? c1_valid : xb_valid;
    assign pool_in       = is_l1 ? c1_out : ACC_W'(xb_out);

    ecg_bnn_maxpool #(.W(ACC_W)) u_pool (
      .clk_i, .rst_ni, .clear_i(grp_clear),
      .valid_i(pool_in_valid), .x_i(pool_in),
      .out_valid_o(pv), .out_o(pool_out)
    );
    assign pool_valid[p] = pv;

    // blocks 2-5 load the ROM word directly, block 1 the scaler's result
    assign thr_load = is_l1 ? (scale_done && scale_lane_q == LPW'(p))
                            : (ld_this && ld_first_q && !is_l6);
    assign thr_word = is_l1 ? scale_thr : trom_data;

    ecg_bnn_threshold #(.W(ACC_W), .THR_W(THR_W)) u_thr (
      .clk_i, .rst_ni,
      .load_i(thr_load), .thr_i(thr_word),
      .valid_i(pv && !is_l6), .m_i(pool_out),
      .out_valid_o(bit_valid[p]), .bit_o(bits[p])
    );

    ecg_bnn_score_acc #(.W(ACC_W), .ROWS(7 * 64)) u_score (
      .clk_i, .clear_i(grp_clear), .valid_i(pv && is_l6), .m_i(pool_out),
      .s_pos_o(sp), .s_neg_o(sn)
    );
    assign lane_s_pos[p] = sp;
    assign lane_s_neg[p] = sn;
  end

  // ------------------------------------------------------------------ output bit writer
  logic [LAW-1:0] wb_off;
  logic [WI-2:0]  pad_word;
  logic [AW-1:0]  pad_mask;
  assign wb_off = wb_q[LAW-1:0];

  if (AW == 16) begin : g_pad16
    assign pad_word = (WI-1)'(ba_q >> 1);
    assign pad_mask = ba_q[0] ? 16'hFF00 : 16'h00FF;
  end else begin : g_padn
    assign pad_word = (WI-1)'(ba_q >> (LAW - 3));
    assign pad_mask = AW'(8'hFF) << (8 * ba_q[LAW-4:0]);
  end

  logic pad_phase;
  assign pad_phase = (state_q == ST_PAD);
  assign act_we    = pad_phase || bit_valid[0];
  assign act_wword = pad_phase ? {dst_half, pad_word} : {dst_half, (WI-1)'(wb_q >> LAW)};
  assign act_wdata = pad_phase ? '1 : AW'(bits) << wb_off;
  assign act_wmask = pad_phase ? pad_mask : AW'({PE{1'b1}}) << wb_off;

  // ------------------------------------------------------------------ control
  logic last_chunk, last_t;
  assign last_chunk = (r_q == nch_q - 7'd1);
  assign last_t     = (t_q == tused_q - 11'd1);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= ST_IDLE;
      layer_q <= 3'd1;
      ld_v_q  <= 1'b0;
      v1_q    <= 1'b0;
    end else begin
      ld_v_q <= (state_q == ST_LOAD);
      v1_q   <= (state_q == ST_RUN);
      case (state_q)
        ST_IDLE: begin
          if (win_ready_i) begin
            layer_q <= 3'd1;
            state_q <= ST_LINIT;
          end
        end
        ST_LINIT:  state_q <= is_l6 ? ST_WOUT : ST_PAD;
        ST_WOUT:   if (res_free) state_q <= ST_LOAD;
        ST_PAD: begin
          if (pside_q && ba_q == pad2_q + 10'(padb_q) - 10'd1) state_q <= ST_LOAD;
        end
        ST_LOAD: begin
          if (is_l1)                                  state_q <= ST_SCALE;
          else if (li_q == wpr_q - 5'd1 && lane_last) state_q <= ST_LWAIT;
        end
        ST_SCALE:  if (scale_done) state_q <= scale_last_q ? ST_LWAIT : ST_LOAD;
        ST_LWAIT:  state_q <= ST_RUN;
        ST_RUN: begin
          if (is_l1 ? (s_q == {tused_q, 1'b1}) : (last_chunk && last_t)) state_q <= ST_DRAIN;
        end
        ST_DRAIN: begin
          if (dr_q == 4'(DRAIN - 1)) state_q <= is_l6 ? ST_SCORE : ST_NEXT;
        end
        ST_SCORE:  if (!res_busy) state_q <= ST_SWAIT;
        ST_SWAIT: begin
          if (!res_busy) state_q <= lane_last ? ST_NEXT : ST_SCORE;
        end
        ST_NEXT: begin
          if (c0_q + 9'(PE) >= cout_q) begin
            if (is_l6) begin
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

  // per-layer constants of layer_q: the table functions are only ever called with constant
  // arguments (the loop unrolls), so synthesis sees a 6-entry constant mux and no run-time
  // multiplier or divider (Yosys 0.23 `synth_ice40 -dsp` also trips over those)
  logic [6:0]      lc_cin, lc_nch;
  logic [8:0]      lc_cout, lc_padbits;
  logic [10:0]     lc_tused;
  logic [4:0]      lc_wpr;
  logic [SIMD-1:0] lc_lastmask;
  logic [5:0]      lc_padb;
  logic [9:0]      lc_pad2;
  logic [WRA-1:0]  lc_wa;
  logic [TRA-1:0]  lc_ta;
  always_comb begin
    lc_cin = '0; lc_cout = '0; lc_tused = '0; lc_wpr = '0; lc_nch = '0; lc_lastmask = '0;
    lc_padb = '0; lc_pad2 = '0; lc_padbits = '0; lc_wa = '0; lc_ta = '0;
    for (int l = 1; l <= 6; l++) begin
      if (32'(layer_q) == l) begin
        lc_cin      = 7'(lay_cin(l));
        lc_cout     = 9'(lay_cout(l));
        lc_tused    = 11'(2 * lay_lout(l) + 5);
        lc_wpr      = 5'(lay_wpr(l));
        lc_nch      = 7'(lay_nch(l));
        for (int i = 0; i < SIMD; i++) lc_lastmask[i] = (i < lay_lastvb(l));
        lc_padb     = 6'(5 * lay_cout(l) / 8);
        lc_pad2     = 10'((lay_lout(l) + 5) * lay_cout(l) / 8);
        lc_padbits  = 9'(5 * lay_cout(l));
        lc_wa       = WRA'(lay_wbase(l));
        lc_ta       = TRA'(lay_tbase(l));
      end
    end
  end

  // counters and per-layer registers (no reset needed: set before use)
  always_ff @(posedge clk_i) begin
    case (state_q)
      ST_IDLE: if (win_ready_i) flags_q <= win_flags_i;
      ST_LINIT: begin
        cin_q      <= lc_cin;
        cout_q     <= lc_cout;
        tused_q    <= lc_tused;
        wpr_q      <= lc_wpr;
        nch_q      <= lc_nch;
        lastmask_q <= lc_lastmask;
        padb_q     <= lc_padb;
        pad2_q     <= lc_pad2;
        padbits_q  <= lc_padbits;
        wa_q       <= lc_wa;
        ta_q       <= lc_ta;
        c0_q       <= '0;
        lp_q       <= '0;
        li_q       <= '0;
        ba_q       <= '0;
        pside_q    <= 1'b0;
      end
      ST_PAD: begin
        if (!pside_q && ba_q == 10'(padb_q) - 10'd1) begin
          ba_q    <= pad2_q;
          pside_q <= 1'b1;
        end else begin
          ba_q <= ba_q + 10'd1;
        end
      end
      ST_LOAD: begin
        scale_last_q <= lane_last;
        wa_q <= wa_q + 1'b1;
        if (li_q == 5'd0 && !is_l6) ta_q <= ta_q + 1'b1;
        if (li_q == wpr_q - 5'd1) begin
          li_q <= '0;
          lp_q <= lp_q + 1'b1;
        end else begin
          li_q <= li_q + 5'd1;
        end
      end
      ST_LWAIT: begin
        t_q    <= '0;
        r_q    <= '0;
        bt_q   <= '0;
        b_q    <= '0;
        rbit_q <= '0;
        s_q    <= '0;
        wb_q   <= BW'(padbits_q) + BW'(c0_q);
        dr_q   <= '0;
        lp_q   <= '0;
        taps_q <= {7{win_pad_i}};
      end
      ST_RUN: begin
        s_q <= s_q + 12'd1;
        if (last_chunk) begin
          r_q    <= '0;
          rbit_q <= '0;
          t_q    <= t_q + 11'd1;
          bt_q   <= bt_q + BW'(cin_q);
          b_q    <= bt_q + BW'(cin_q);
        end else begin
          r_q    <= r_q + 7'd1;
          rbit_q <= rbit_q + 9'(SIMD);
          b_q    <= b_q + BW'(SIMD);
        end
      end
      ST_DRAIN: dr_q <= dr_q + 4'd1;
      ST_SWAIT: if (!res_busy) lp_q <= lp_q + 1'b1;
      ST_NEXT: begin
        c0_q <= c0_q + 9'(PE);
        lp_q <= '0;
        li_q <= '0;
      end
      default: ;
    endcase
    // load pipeline sideband
    if (scale_start) scale_lane_q <= ld_lane_q;
    ld_lane_q  <= lp_q;
    ld_word_q  <= li_q;
    ld_first_q <= (li_q == 5'd0);
    // stage-1 sideband
    if (state_q == ST_RUN) begin
      first1_q <= (r_q == 7'd0);
      last1_q  <= last_chunk;
      off1_q   <= b_off;
      sub1_q   <= LAW'(rbit_q);
      pad1_q   <= (s_q >= 12'(N));
      odd1_q   <= s_q[0];
    end
    // block-1 tap line
    if (v1_q && is_l1) taps_q <= taps_next;
    // output bit address
    if (bit_valid[0]) wb_q <= wb_q + BW'(cout_q);
  end

  // ------------------------------------------------------------------ scoring and result
  assign res_clear  = (state_q == ST_WOUT) && res_free;
  assign res_calc   = (state_q == ST_SCORE) && !res_busy;
  assign res_s_pos  = lane_s_pos[lp_q];
  assign res_s_neg  = lane_s_neg[lp_q];
  assign res_finish = (state_q == ST_FINISH);
  assign win_release_o = (state_q == ST_NEXT) && is_l1 && (c0_q + 9'(PE) >= cout_q);

  ecg_bnn_result #(.NUM_CLASSES(NUM_CLASSES), .SCORES_FILE(SCORES_FILE)) u_result (
    .clk_i, .rst_ni,
    .clear_i(res_clear), .calc_i(res_calc), .s_pos_i(res_s_pos), .s_neg_i(res_s_neg),
    .busy_o(res_busy), .finish_i(res_finish), .flags_i(flags_q), .slot_free_o(res_free),
    .m_data_o, .m_valid_o, .m_ready_i
  );

  assign busy_o  = (state_q != ST_IDLE);
  assign layer_o = layer_q;

  logic unused;
  assign unused = ^{pool_valid, bit_valid, act_shifted[2*AW-1:SIMD], taps_q[X_W-1:0], scale_busy};

  // ------------------------------------------------------------------ properties
  // Window handshake: the engine starts a window on win_ready_i in ST_IDLE, reads the window
  // buffer and releases it exactly once (end of block 1), then hands exactly one finish to the
  // result slot.
`ifdef ECG_BNN_CHECKS
  logic f_rst_q, f_ready_q, f_release_q, f_released_q;
  always @(posedge clk_i) begin
    f_rst_q     <= !rst_ni;
    f_ready_q  <= rst_ni && win_ready_i;
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
  `ECG_BNN_ASSERT(EngFinishAfterRelease, !res_finish || f_released_q)
  // invariants: the window buffer is released exactly when block 1 ends (and held until then); the
  // result unit is idle outside ST_SWAIT and its slot free from block 6's ST_WOUT to ST_FINISH
  `ECG_BNN_ASSERT(EngReleasedAfterBlock1, f_released_q == (layer_q != 3'd1))
  `ECG_BNN_ASSERT(EngHoldsWindow, state_q == ST_IDLE || layer_q != 3'd1 || f_ready_q)
  // the scaler (which reads S1 and r) runs only in block 1, while the window is held, and only
  // in ST_SCALE; it is started only when idle
  `ECG_BNN_ASSERT(EngScaleInBlock1, !scale_busy || (layer_q == 3'd1 && state_q == ST_SCALE))
  `ECG_BNN_ASSERT(EngScaleStartIdle, !scale_start || (!scale_busy && state_q == ST_SCALE))
  `ECG_BNN_ASSERT(EngResultIdle, state_q == ST_SWAIT || !res_busy)
  `ECG_BNN_ASSERT(EngResultSlotFree, layer_q != 3'd6 || state_q == ST_IDLE || state_q == ST_LINIT
                  || state_q == ST_WOUT || res_free)
  `ECG_BNN_COVER(EngStart, state_q == ST_IDLE && win_ready_i)
  `ECG_BNN_COVER(EngBlock1Scales, state_q == ST_SCALE && scale_done)
  `ECG_BNN_COVER(EngBlock1Runs, state_q == ST_RUN && xbuf_re_o)

endmodule

`default_nettype wire
