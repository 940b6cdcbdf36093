// stub_norm: formal stand-in for ecg_bnn_norm (same module name and ports) with a
// nondeterministic latency: after start_i it stays busy for any number of cycles, then pulses
// done_o once with a free gain and flat flag. Used by frontend.sby, whose short window (N = 4)
// the real unit rejects (its G width needs N >= 1090).
`default_nettype none

module ecg_bnn_norm #(
  parameter int N = 3600
) (
  input  wire               clk_i,
  input  wire               rst_ni,
  input  wire               start_i,
  input  wire signed [23:0] s1_i,
  input  wire [33:0]        s2_i,
  output reg                busy_o,
  output reg                done_o,
  output reg  [26:0]        g_o,
  output reg                flat_o
);
  (* anyseq *) wire        f_finish;
  (* anyseq *) wire [26:0] f_g;
  (* anyseq *) wire        f_flat;

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      busy_o <= 1'b0;
      done_o <= 1'b0;
    end else begin
      done_o <= 1'b0;
      if (busy_o && f_finish) begin
        busy_o <= 1'b0;
        done_o <= 1'b1;
        g_o    <= f_g;
        flat_o <= f_flat;
      end else if (!busy_o && start_i) begin
        busy_o <= 1'b1;
      end
    end
  end

  wire unused = ^{N, s1_i, s2_i};
endmodule

`default_nettype wire
