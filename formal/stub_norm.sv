// stub_norm: formal stand-in for ecg_bnn_norm (same module name and ports) with a
// nondeterministic latency: after start_i it stays busy for any number of cycles, then pulses
// done_o once with free window constants, held until the next start. Used by frontend.sby (short
// window, N = 4) and top.sby, where the real unit's arithmetic is irrelevant to the control being
// proven (norm.sby proves the unit itself).
`default_nettype none

module ecg_bnn_norm #(
  parameter int N        = 3600,
  parameter int LOW_RMS  = 4,
  parameter int CLIP_MAX = 36
) (
  input  wire               clk_i,
  input  wire               rst_ni,
  input  wire               start_i,
  input  wire signed [27:0] s1_i,
  input  wire [41:0]        s2_i,
  input  wire [11:0]        k_i,
  output reg                busy_o,
  output reg                done_o,
  output reg  [26:0]        r_o,
  output reg  signed [16:0] pad_o,
  output reg  [2:0]         flags_o
);
  (* anyseq *) wire        f_finish;
  (* anyseq *) wire [26:0] f_r;
  (* anyseq *) wire [16:0] f_pad;
  (* anyseq *) wire [2:0]  f_flags;

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      busy_o <= 1'b0;
      done_o <= 1'b0;
    end else begin
      done_o <= 1'b0;
      if (busy_o && f_finish) begin
        busy_o  <= 1'b0;
        done_o  <= 1'b1;
        r_o     <= f_r;
        pad_o   <= f_pad;
        flags_o <= f_flags;
      end else if (!busy_o && start_i) begin
        busy_o <= 1'b1;
      end
    end
  end

  wire unused = ^{N, LOW_RMS, CLIP_MAX, s1_i, s2_i, k_i};
endmodule

`default_nettype wire
