// ecg_bnn_unpack: reads the parameter stream (thresholds.mem: the thresholds of blocks 1-5 and
// the score coefficients, every field at its minimal width, layout in pymodel/packing.py and
// docs/ARCHITECTURE.md) and hands them out one record at a time, in the order the engine uses
// them: per block 1-5 one threshold record per output channel, then one coefficient record per
// class. Each window's pass starts at start_i (the engine's window start): so the engine's
// schedule, waits included, is the same for every window.
// The stream is read one bit per cycle from a 16-bit ROM (one block RAM), after one cycle per
// field that latches the field's width (so the bit count compares with a register, not with
// the width mux: that was the critical path). Each block starts with a header (field widths,
// bases) that this unit keeps; a record is decoded while the engine works on the previous ones
// and waits, ready_o high, until re_i takes it. The record's words are valid from ready_o until
// the cycle after re_i (the engine reads them there, as it would a ROM's registered read), B
// one cycle more (the result unit reads it in place):
//   thr_o  = {inv, hi[23:0], lo[23:0]} with hi = HF ? HBASE + HF : never (MAX), lo likewise
//   coef_o = {C[31:0], B[15:0], A[15:0]}, sign-extended
`default_nettype none
`timescale 1ns / 1ps
`include "ecg_bnn_assert.svh"

module ecg_bnn_unpack #(
  parameter int NUM_CLASSES = 5,
  parameter int DEPTH       = 256,  // words of the stream ROM (the image's depth)
  parameter     MEM_FILE    = ""    // $readmemh image (thresholds.mem)
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        start_i,   // a window starts: read the stream from its first record
  input  logic        re_i,      // take the record (only while ready_o)
  output logic        ready_o,   // a record is decoded
  output logic [2:0]  layer_o,   // its block: 1-5 a threshold record, 6 a coefficient record
  output logic [48:0] thr_o,     // {inv, hi, lo}
  output logic [63:0] coef_o     // {C, B, A}
);

  // the layer table (lay_cout: records per block); its other constants are the engine's
  /* verilator lint_off UNUSEDPARAM */
`include "ecg_bnn_network.svh"
  /* verilator lint_on UNUSEDPARAM */

  localparam int AW    = $clog2(DEPTH);
  localparam int THR_W = 24;

  initial begin
    if (DEPTH < 2) $fatal(1, "ecg_bnn_unpack: DEPTH must be at least 2");
    if (NUM_CLASSES < 2 || NUM_CLASSES > 255)
      $fatal(1, "ecg_bnn_unpack: NUM_CLASSES must lie in [2, 255]");
  end

  // phases: the fields of a block header, of a threshold record, of the score header, of a
  // coefficient record; RDY waits for re_i, HOLD keeps the record one more cycle, WRAP waits for
  // start_i (after reset and after the last class; start_i restarts from any phase)
  typedef enum logic [4:0] {
    P_HW, P_LW, P_IW, P_BW, P_HB, P_LB, P_HF, P_LF, P_INV, P_TRDY,
    P_AW, P_BW2, P_CW, P_A, P_B, P_C, P_SRDY, P_HOLD, P_WRAP
  } phase_e;
  phase_e ph_q, ph_next;

  logic [5:0]  k_q;       // bits of the current field so far
  logic        fbeg_q;    // the phase's first cycle: the field's width is being latched
  logic [5:0]  flen_m1_q; // the field's width - 1 (latched in its first cycle)
  logic        fempty_q;  // ... the field has width 0
  logic [2:0]  lay_q;     // block of the record: 1-5, 6 = scores
  logic [7:0]  ch_q;      // channel (class) of the record
  // header: field widths (the score header reuses them as AW-1, BW-1, CW-1) and bases
  logic [4:0]  hw_q, lw_q, bw_q;
  logic        iw_q;
  logic [THR_W-1:0] hbase_q, lbase_q;
  // record: hi or C, lo or A, B, INV
  logic [31:0] rc_q;
  logic [23:0] ra_q;
  logic [15:0] rb_q;
  logic        inv_q;

  // ------------------------------------------------------------------ bit reader
  // w_q holds the current word (wcnt_q bits left, the next at bit 0); the ROM's output register
  // holds the next word (nxt_q) or is being read (pend_q)
  logic [15:0] w_q, rom_data;
  logic [4:0]  wcnt_q;
  logic [AW:0] raddr_q;
  logic        nxt_q, pend_q, rd_en, load, take, bit_in;

  assign rd_en  = !nxt_q && !pend_q && (ph_q != P_WRAP) && (32'(raddr_q) < DEPTH);
  assign load   = (wcnt_q == 5'd0) && nxt_q;
  assign bit_in = w_q[0];

  ecg_bnn_rom #(.DEPTH(DEPTH), .WIDTH(16), .MEM_FILE(MEM_FILE)) u_rom (
    .clk_i, .re_i(rd_en), .addr_i(raddr_q[AW-1:0]), .data_o(rom_data)
  );

  always_ff @(posedge clk_i) begin
    if (!rst_ni || ph_q == P_WRAP || start_i) begin
      raddr_q <= '0;
      wcnt_q  <= '0;
      nxt_q   <= 1'b0;
      pend_q  <= 1'b0;
    end else begin
      pend_q <= rd_en;
      if (rd_en) raddr_q <= raddr_q + 1'b1;
      if (pend_q)    nxt_q <= 1'b1;
      else if (load) nxt_q <= 1'b0;
      if (load)      wcnt_q <= 5'd16;
      else if (take) wcnt_q <= wcnt_q - 5'd1;
    end
  end
  always_ff @(posedge clk_i) begin
    if (load)      w_q <= rom_data;
    else if (take) w_q <= w_q >> 1;
  end

  // ------------------------------------------------------------------ fields
  logic [5:0] flen;     // bits of the current field (from the width registers)
  logic       field;    // the phase reads a field
  logic       fsigned;  // ... a signed one (sign-filled from its first bit)
  always_comb begin
    flen = '0; field = 1'b1; fsigned = 1'b0;
    case (ph_q)
      P_HW, P_LW, P_BW, P_AW, P_BW2, P_CW: flen = 6'd5;
      P_IW:  flen = 6'd1;
      P_HB:  begin flen = 6'(bw_q); fsigned = 1'b1; end
      P_LB:  begin flen = (lw_q != 5'd0) ? 6'(bw_q) : 6'd0; fsigned = 1'b1; end
      P_HF:  flen = 6'(hw_q);
      P_LF:  flen = 6'(lw_q);
      P_INV: flen = 6'(iw_q);
      P_A:   begin flen = 6'(hw_q) + 6'd1; fsigned = 1'b1; end
      P_B:   begin flen = 6'(lw_q) + 6'd1; fsigned = 1'b1; end
      P_C:   begin flen = 6'(bw_q) + 6'd1; fsigned = 1'b1; end
      default: field = 1'b0;
    endcase
  end

  // the width registers of a field only change in earlier phases: latched once per field
  always_ff @(posedge clk_i) begin
    if (fbeg_q) begin
      flen_m1_q <= flen - 6'd1;
      fempty_q  <= (flen == 6'd0);
    end
  end

  logic infield, empty, fdone, first, fill;
  assign infield = field && !fbeg_q;  // the field's width is in flen_m1_q, fempty_q
  assign empty = infield && fempty_q;
  assign take  = infield && !fempty_q && (wcnt_q != 5'd0);
  assign fdone = empty || (take && k_q == flen_m1_q);
  assign first = (k_q == 6'd0);
  assign fill  = fsigned & bit_in;  // the first bit of a signed field fills the register

  // One shift register takes every field: bit_in appended, or at a field's first bit bit_in
  // sign- or zero-filled; it is cleared in the field's first cycle (so a field of width 0 leaves
  // it 0). The 5-bit widths load its next value sh at the field's last bit (fdone: the next
  // field may need its width at once); every other register that keeps a field loads the
  // shift register itself in the next cycle (the next field's first cycle, which clears it
  // only at its end), so that sh drives the shift register alone (bits 5-31) and each bit of
  // it shares a logic cell with its flip-flop. The record's threshold fields go through two
  // 24-bit adders, hi = HBASE + HF into the register that holds C of a coefficient record,
  // lo = LBASE + LF into the one that holds A: each adder reads its own base, so no base
  // multiplexer, and drives one register, so each adder bit shares a cell with its flip-flop.
  // The bases are cleared at the score header, so the coefficients A and C pass the adders
  // with 0. A field value 0 of HF or LF ("never") sets the register to the never value with
  // the flip-flops' synchronous set and reset, found with nz, which tracks whether a 1 came in.
  logic [31:0] sr_q, sh;
  logic        nz_q, nz;
  assign sh = first ? {{31{fill}}, bit_in} : {sr_q[30:0], bit_in};
  assign nz = bit_in || (!first && nz_q);
  always_ff @(posedge clk_i) begin
    if (fbeg_q)    sr_q <= '0;
    else if (take) sr_q <= sh;
  end
  always_ff @(posedge clk_i) begin
    if (take) nz_q <= nz;
  end

  localparam logic [THR_W-1:0] NEVER_HI = {1'b0, {(THR_W-1){1'b1}}};
  localparam logic [THR_W-1:0] NEVER_LO = {1'b1, {(THR_W-1){1'b0}}};
  logic [THR_W-1:0] sum_hi, sum_lo;
  logic             never;  // HF or LF is 0 (or empty)
  assign sum_hi = hbase_q + sr_q[THR_W-1:0];
  assign sum_lo = lbase_q + sr_q[THR_W-1:0];
  assign never  = empty || !nz;

  logic ld_hw, ld_lw, ld_bw, ld_iw, ld_inv;
  // the loads from the shift register, one cycle after the field's last bit
  logic hb_ld_q, lb_ld_q, hi_ld_q, lo_ld_q, b_ld_q, c_ld_q, hi_never_q, lo_never_q;
  assign ld_hw  = fdone && (ph_q == P_HW || ph_q == P_AW);   // fixed widths: never empty
  assign ld_lw  = fdone && (ph_q == P_LW || ph_q == P_BW2);
  assign ld_bw  = fdone && (ph_q == P_BW || ph_q == P_CW);
  assign ld_iw  = fdone && ph_q == P_IW;
  assign ld_inv = fdone && ph_q == P_INV;
  always_ff @(posedge clk_i) begin
    hb_ld_q    <= fdone && ph_q == P_HB;
    lb_ld_q    <= fdone && ph_q == P_LB;
    hi_ld_q    <= fdone && (ph_q == P_HF || ph_q == P_C);
    lo_ld_q    <= fdone && (ph_q == P_LF || ph_q == P_A);
    b_ld_q     <= fdone && ph_q == P_B;
    c_ld_q     <= fdone && ph_q == P_C;
    hi_never_q <= ph_q == P_HF && never;
    lo_never_q <= ph_q == P_LF && never;
  end

  always_ff @(posedge clk_i) if (ld_hw) hw_q <= sh[4:0];
  always_ff @(posedge clk_i) if (ld_lw) lw_q <= sh[4:0];
  always_ff @(posedge clk_i) if (ld_bw) bw_q <= sh[4:0];
  always_ff @(posedge clk_i) if (ld_iw) iw_q <= bit_in;  // IW is 1 bit wide
  always_ff @(posedge clk_i) begin
    if (hb_ld_q)           hbase_q <= sr_q[THR_W-1:0];
    else if (ph_q == P_AW) hbase_q <= '0;
  end
  always_ff @(posedge clk_i) begin
    if (lb_ld_q)           lbase_q <= sr_q[THR_W-1:0];
    else if (ph_q == P_AW) lbase_q <= '0;
  end
  always_ff @(posedge clk_i) begin
    if (hi_ld_q) begin
      if (hi_never_q) rc_q[THR_W-1:0] <= NEVER_HI;
      else            rc_q[THR_W-1:0] <= sum_hi;
    end
  end
  always_ff @(posedge clk_i) if (c_ld_q) rc_q[31:THR_W] <= sr_q[31:THR_W];
  always_ff @(posedge clk_i) begin
    if (lo_ld_q) begin
      if (lo_never_q) ra_q <= NEVER_LO;
      else            ra_q <= sum_lo;
    end
  end
  always_ff @(posedge clk_i) if (b_ld_q) rb_q <= sr_q[15:0];
  always_ff @(posedge clk_i) if (ld_inv) inv_q <= !empty && bit_in;

  // ------------------------------------------------------------------ records and phases
  logic [7:0] ch_last;   // the block's last channel (the last class)
  logic       last_rec;  // the record is its block's last
  always_comb begin
    ch_last = '0;
    for (int l = 1; l <= 6; l++) begin
      if (32'(lay_q) == l) ch_last = 8'(lay_cout(l) - 1);
    end
  end
  assign last_rec = (ch_q == ch_last);

  always_comb begin
    ph_next = ph_q;
    case (ph_q)
      P_TRDY, P_SRDY: if (re_i) ph_next = P_HOLD;
      P_HOLD: begin
        if (lay_q == 3'd6 && last_rec) ph_next = P_WRAP;
        else if (lay_q == 3'd6) ph_next = P_A;
        else if (!last_rec)     ph_next = P_HF;
        else if (lay_q == 3'd5) ph_next = P_AW;
        else                    ph_next = P_HW;
      end
      P_WRAP: ;  // until start_i
      P_HW:   if (fdone) ph_next = P_LW;
      P_LW:   if (fdone) ph_next = P_IW;
      P_IW:   if (fdone) ph_next = P_BW;
      P_BW:   if (fdone) ph_next = P_HB;
      P_HB:   if (fdone) ph_next = P_LB;
      P_LB:   if (fdone) ph_next = P_HF;
      P_HF:   if (fdone) ph_next = P_LF;
      P_LF:   if (fdone) ph_next = P_INV;
      P_INV:  if (fdone) ph_next = P_TRDY;
      P_AW:   if (fdone) ph_next = P_BW2;
      P_BW2:  if (fdone) ph_next = P_CW;
      P_CW:   if (fdone) ph_next = P_A;
      P_A:    if (fdone) ph_next = P_B;
      P_B:    if (fdone) ph_next = P_C;
      P_C:    if (fdone) ph_next = P_SRDY;
      default: ph_next = P_WRAP;
    endcase
    if (start_i) ph_next = P_HW;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      ph_q   <= P_WRAP;
      fbeg_q <= 1'b0;
      lay_q  <= 3'd1;
      ch_q   <= '0;
      k_q    <= '0;
    end else begin
      ph_q <= ph_next;
      // the only ways into a field phase (cheaper than comparing ph_next with ph_q)
      fbeg_q <= fdone || (ph_q == P_HOLD) || start_i;
      if (fdone || start_i) k_q <= '0;
      else if (take)        k_q <= k_q + 6'd1;
      if (ph_q == P_WRAP || start_i) begin
        lay_q <= 3'd1;
        ch_q  <= '0;
      end else if (ph_q == P_HOLD) begin
        if (!last_rec) begin
          ch_q <= ch_q + 8'd1;
        end else if (lay_q != 3'd6) begin
          ch_q  <= '0;
          lay_q <= lay_q + 3'd1;
        end
      end
    end
  end

  // ------------------------------------------------------------------ outputs
  // (C's last bits reach rc_q in P_SRDY's first cycle: ready from the next)
  assign ready_o = (ph_q == P_TRDY) || (ph_q == P_SRDY && !c_ld_q);
  assign layer_o = lay_q;
  assign thr_o   = {inv_q, rc_q[THR_W-1:0], ra_q};
  assign coef_o  = {rc_q, rb_q, ra_q[15:0]};

  // ------------------------------------------------------------------ properties
  // the engine takes a record only when one is ready
  `ECG_BNN_ASSUME(UnpackReadReady, !re_i || ready_o)
  // the bit reader: at most one word in flight, never more than 16 bits in hand
  `ECG_BNN_ASSERT(UnpackBitsLegal, wcnt_q <= 5'd16 && !(nxt_q && pend_q) && 32'(raddr_q) <= DEPTH)
  // a field never runs past its latched width (the count is 0 outside fields and in a field's
  // first cycle); the latched width is the field's (its width registers do not change in it);
  // the phases and blocks are legal, scores in block 6 only, the record a channel (class) of its
  // block
  `ECG_BNN_ASSERT(UnpackFieldCount, (infield && !fempty_q) ? k_q <= flen_m1_q : k_q == 6'd0)
  `ECG_BNN_ASSERT(UnpackFieldLength, !infield
                  || (fempty_q ? flen == 6'd0 : flen != 6'd0 && flen_m1_q == flen - 6'd1))
  `ECG_BNN_ASSERT(UnpackPhaseLegal, ph_q <= P_WRAP && lay_q >= 3'd1 && lay_q <= 3'd6)
  `ECG_BNN_ASSERT(UnpackSection, (ph_q >= P_AW && ph_q <= P_SRDY) ? lay_q == 3'd6
                  : (ph_q == P_HOLD || ph_q == P_WRAP || lay_q <= 3'd5))
  `ECG_BNN_ASSERT(UnpackRecordLegal, ch_q <= ch_last)
  // The image holds the whole stream: a DEPTH smaller than the image's would stall the engine
  // for good. Simulation only: with the ROM contents free (formal) any field widths occur.
`ifndef FORMAL
  `ECG_BNN_ASSERT(UnpackImageEnds, !(infield && !fempty_q && wcnt_q == 5'd0 && !nxt_q
                  && !pend_q && 32'(raddr_q) == DEPTH))
`endif
  `ECG_BNN_COVER(UnpackThrTaken, ph_q == P_TRDY && re_i)
  `ECG_BNN_COVER(UnpackScoreTaken, ph_q == P_SRDY && re_i)

endmodule

`default_nettype wire
