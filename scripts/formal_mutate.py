"""Deliberate RTL mutations that the formal proofs must catch (run by ``make formal``).

A proof is only trusted once a bug makes it fail. Each mutation below rewrites one line of one
RTL file (an exact text substitution, checked to apply once), copies the task's ``.sby`` file
with that file replaced, and runs the task under ``formal/build/mut/`` as a bounded model check
(``BMC_DEPTH`` cycles from reset). A mutation is *caught* when that finds a counterexample
(status FAIL): a real trace from reset. Bugs deeper than a BMC reaches (the engine's block 6
starts thousands of cycles after reset) run the task's own k-induction instead, and are caught
when the proof no longer passes (a failed base case or induction step). The report names the
assertions that failed. The RTL in ``rtl/`` is never modified.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

import formal

MUT = formal.BUILD / "mut"
# BMC depth per proof: long enough to fill the queues (and the ring) of the wrapper tops
BMC_DEPTH = {
    "skid": 12,
    "sample_in": 26,
    "result": 20,
    "frontend": 24,
    "engine": 12,
    "thr_scale": 8,
    "conv1": 11,
    "top": 8,
    "norm": 8,
}


@dataclass(frozen=True)
class Mutation:
    """Replace ``old`` by ``new`` in ``rtl/<file>`` and expect ``<sby>/<task>`` to fail."""

    name: str
    what: str
    file: str
    old: str
    new: str
    sby: str
    task: str
    fast: bool = False  # run by tests/test_formal.py
    bmc: bool = True  # False: the task's k-induction must fail instead


MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        "skid_drop_valid_hold",
        "output valid withdrawn when no new beat arrives during a stall",
        "ecg_bnn_skid.sv",
        "end else if (m_ready_i || !out_valid_q) begin\n      if (skid_valid_q)",
        "end else if (m_ready_i || !out_valid_q || !s_valid_i) begin\n      if (skid_valid_q)",
        "skid",
        "prove",
        fast=True,
    ),
    Mutation(
        "skid_lose_beat",
        "a beat arriving during a stall is not kept in the skid register",
        "ecg_bnn_skid.sv",
        "      skid_valid_q <= 1'b1;\n    end\n  end",
        "      skid_valid_q <= 1'b0;\n    end\n  end",
        "skid",
        "prove",
    ),
    Mutation(
        "skid_stale_data",
        "the skid register's beat is replaced by the input's",
        "ecg_bnn_skid.sv",
        "if (skid_valid_q)   out_data_q <= skid_data_q;",
        "if (skid_valid_q)   out_data_q <= s_data_i;",
        "skid",
        "prove",
    ),
    Mutation(
        "queue_count_off_by_one",
        "input refused one window later: QDEPTH + 1 windows may wait",
        "ecg_bnn_sample_in.sv",
        "!(completes && reserved_q == (QW+1)'(QDEPTH));",
        "!(completes && reserved_q == (QW+1)'(QDEPTH + 1));",
        "sample_in",
        "whole_prove",
    ),
    Mutation(
        "queue_refuse_early",
        "input refused while only QDEPTH - 1 windows wait",
        "ecg_bnn_sample_in.sv",
        "!(completes && reserved_q == (QW+1)'(QDEPTH));",
        "!(completes && reserved_q == (QW+1)'(QDEPTH - 1));",
        "sample_in",
        "whole_prove",
    ),
    Mutation(
        "skip_hop",
        "next window after HOP - 1 samples",
        "ecg_bnn_sample_in.sv",
        "to_win_q <= completes ? 12'(HOP - 1) : to_win_q - 12'd1;",
        "to_win_q <= completes ? 12'(HOP - 2) : to_win_q - 12'd1;",
        "sample_in",
        "sliding_prove",
    ),
    Mutation(
        "ring_overfill",
        "one sample more than the ring holds is accepted",
        "ecg_bnn_sample_in.sv",
        "assign accept    = x_valid && (occ_q < (RAW+1)'(RING_DEPTH))",
        "assign accept    = x_valid && (occ_q <= (RAW+1)'(RING_DEPTH))",
        "sample_in",
        "whole_prove",
    ),
    Mutation(
        "queue_pop_lost",
        "a pop does not decrement the count of waiting windows",
        "ecg_bnn_sample_in.sv",
        "reserved_q <= reserved_q + (QW+1)'(accept && completes) - (QW+1)'(win_pop_i);",
        "reserved_q <= reserved_q + (QW+1)'(accept && completes);",
        "sample_in",
        "whole_prove",
    ),
    Mutation(
        "result_lost_under_stall",
        "the result is dropped without a handshake",
        "ecg_bnn_result.sv",
        "else if (m_ready_i) valid_q <= 1'b0;",
        "else valid_q <= 1'b0;",
        "result",
        "prove",
        fast=True,
    ),
    Mutation(
        "result_data_changes",
        "the flags follow their input while the result waits",
        "ecg_bnn_result.sv",
        "if (finish_i) flags_q <= flags_i;",
        "flags_q <= flags_i;",
        "result",
        "prove",
    ),
    Mutation(
        "result_duplicated",
        "a result stays valid after its handshake",
        "ecg_bnn_result.sv",
        "else if (m_ready_i) valid_q <= 1'b0;",
        "else if (m_ready_i && flags_q[0]) valid_q <= 1'b0;",
        "result",
        "prove",
    ),
    Mutation(
        "result_reset_keeps_state",
        "reset does not return the result FSM to idle",
        "ecg_bnn_result.sv",
        "      state_q <= ST_IDLE;\n      cls_q   <= '0;",
        "      cls_q   <= '0;",
        "result",
        "prove",
    ),
    Mutation(
        "engine_release_every_block",
        "the engine releases the window buffer at the end of every block",
        "ecg_bnn_engine_ctrl.sv",
        "assign win_release_o = (state_q == ST_NEXT) && block1 && last_group;",
        "assign win_release_o = (state_q == ST_NEXT) && last_group;",
        "engine",
        "prove",
        bmc=False,
    ),
    Mutation(
        "engine_ignores_slot",
        "block 6 starts while the previous result still waits on m_axis",
        "ecg_bnn_engine_ctrl.sv",
        "ST_WOUT:   if (res_free_i) state_q <= ST_LOAD;",
        "ST_WOUT:   state_q <= ST_LOAD;",
        "engine",
        "prove",
        bmc=False,
    ),
    Mutation(
        "engine_reset_keeps_state",
        "reset does not return the engine FSM to idle",
        "ecg_bnn_engine_ctrl.sv",
        "      state_q <= ST_IDLE;\n      layer_q <= 3'd1;",
        "      layer_q <= 3'd1;",
        "engine",
        "prove",
    ),
    Mutation(
        "engine_drain_short",
        "the drain leaves out the threshold stage: the group's last bits arrive after it",
        "ecg_bnn_engine_ctrl.sv",
        "localparam int DRAIN      = POOL_OUT + THR_LAT;",
        "localparam int DRAIN      = POOL_OUT;",
        "engine",
        "prove",
        bmc=False,
    ),
    Mutation(
        "engine_score_lane_runs_on",
        "the scored lane advances while the result unit is busy (a class skipped)",
        "ecg_bnn_engine_ctrl.sv",
        "ST_SWAIT: if (!res_busy_i) lane_q <= lane_q + LPW'(1);",
        "ST_SWAIT: lane_q <= lane_q + LPW'(1);",
        "engine",
        "prove",
        bmc=False,
    ),
    Mutation(
        "unpack_width_off_by_one",
        "the unpacker latches a field's width one bit too long",
        "ecg_bnn_unpack.sv",
        "flen_m1_q <= flen - 6'd1;",
        "flen_m1_q <= flen;",
        "engine",
        "prove",
    ),
    Mutation(
        "unpack_hold_keeps_width",
        "after a record is taken the next field starts without latching its width",
        "ecg_bnn_unpack.sv",
        "fbeg_q <= fdone || (ph_q == P_HOLD) || start_i;",
        "fbeg_q <= fdone || start_i;",
        "engine",
        "prove",
        bmc=False,
    ),
    Mutation(
        "unpack_b_overwritten_in_hold",
        "the coefficient record's B is replaced in the hold cycle, before the result unit reads it",
        "ecg_bnn_unpack.sv",
        "always_ff @(posedge clk_i) if (b_ld_q) rb_q <= sr_q[15:0];",
        "always_ff @(posedge clk_i) if (b_ld_q || ph_q == P_HOLD) rb_q <= sr_q[15:0];",
        "engine",
        "prove",
        bmc=False,
    ),
    Mutation(
        "conv1_stale_inversion",
        "a partial sum stored inverted by its own weight only, not by the next stage's",
        "ecg_bnn_conv1_pe.sv",
        "assign part_inv[k] = w_i[k] ^ w_i[k+1];",
        "assign part_inv[k] = !w_i[k+1];",
        "conv1",
        "prove",
    ),
    Mutation(
        "conv1_first_tap_not_negated",
        "the first position added as +x whatever its weight",
        "ecg_bnn_conv1_pe.sv",
        "assign t[0 +: ACC_W] = {ACC_W{!w_i[0]}} + xs;",
        "assign t[0 +: ACC_W] = xs;",
        "conv1",
        "prove",
    ),
    Mutation(
        "scale_prefetch_stale_ws_bit",
        "the prefetched ws digit reads the current step's bit of ws, not the next step's",
        "ecg_bnn_thr_scale.sv",
        "assign next_s1   = (state_q == ST_WS) && step_q != 6'd0 && ws_sh_q[2];",
        "assign next_s1   = (state_q == ST_WS) && step_q != 6'd0 && ws_sh_q[3];",
        "thr_scale",
        "prove",
        bmc=False,
    ),
    Mutation(
        "scale_prefetch_plus_sign",
        "the prefetched select never subtracts ws's sign bit",
        "ecg_bnn_thr_scale.sv",
        "assign next_ns1  = (state_q == ST_MUL) && step_q == 6'd0 && ws_q[3];",
        "assign next_ns1  = 1'b0;",
        "thr_scale",
        "prove",
        bmc=False,
    ),
    Mutation(
        "scale_no_lo_pass",
        "the threshold scaler stops after hi' and never signals done",
        "ecg_bnn_thr_scale.sv",
        "ST_STORE: state_q <= lo_pass_q ? ST_IDLE : ST_MUL;",
        "ST_STORE: state_q <= ST_IDLE;",
        "thr_scale",
        "prove",
        fast=True,
        bmc=False,
    ),
    Mutation(
        "norm_reset_keeps_state",
        "reset does not return the normaliser FSM to idle",
        "ecg_bnn_norm.sv",
        "      state_q <= ST_IDLE;\n      done_q  <= 1'b0;",
        "      done_q  <= 1'b0;",
        "norm",
        "prove",
    ),
    Mutation(
        "seqctl_reset_keeps_busy",
        "reset does not stop the sequential units' controller (square root, divider)",
        "ecg_bnn_seqctl.sv",
        "      busy_q <= 1'b0;\n      done_q <= 1'b0;",
        "      done_q <= 1'b0;",
        "norm",
        "prove",
    ),
    Mutation(
        "seqctl_restart_while_busy",
        "a start while busy restarts the step count",
        "ecg_bnn_seqctl.sv",
        "end else if (start_i) begin",
        "end\n      if (start_i) begin",
        "norm",
        "units_prove",
    ),
    Mutation(
        "isqrt_remainder_unreduced",
        "the square root keeps a remainder equal to the trial value",
        "ecg_bnn_isqrt.sv",
        "assign ge           = !carry;",
        "assign ge           = !carry && sum != '1;",  # rem_sh > trial
        "norm",
        "units_prove",
    ),
    Mutation(
        "div_remainder_unreduced",
        "the divider keeps a remainder equal to the divisor",
        "ecg_bnn_seqdiv.sv",
        "assign ge     = rem_sh >= RW'(DO);",
        "assign ge     = rem_sh > RW'(DO);",
        "norm",
        "prove",
        bmc=False,
    ),
    Mutation(
        "norm_root_during_division",
        "the square root restarts while the divider works",
        "ecg_bnn_norm.sv",
        "assign root_start = (state_q == ST_VDONE);",
        "assign root_start = (state_q == ST_VDONE) || div_done;",
        "norm",
        "prove",
        bmc=False,
    ),
    Mutation(
        "top_tlast_low",
        "m_axis_tlast low",
        "ecg_bnn_top.sv",
        "assign m_axis_tlast = 1'b1;",
        "assign m_axis_tlast = 1'b0;",
        "top",
        "prove",
        bmc=False,
    ),
    Mutation(
        "xbuf_release_ignored",
        "the window buffer is handed back without the engine's release",
        "ecg_bnn_window.sv",
        "ST_READY: if (win_release_i) state_q <= ST_IDLE;",
        "ST_READY: state_q <= ST_IDLE;",
        "frontend",
        "bmc",
    ),
    Mutation(
        "window_skip_sample",
        "the window pass reads every other ring sample",
        "ecg_bnn_window.sv",
        "rd_cnt_q <= rd_cnt_q + 12'd1;",
        "rd_cnt_q <= rd_cnt_q + 12'd2;",
        "frontend",
        "bmc",
    ),
    Mutation(
        "window_read_address_off",
        "the window pass reads one ring word too far",
        "ecg_bnn_window.sv",
        "assign ring_raddr_o = rd_ptr_q;",
        "assign ring_raddr_o = rd_ptr_q + 1'b1;",
        "frontend",
        "bmc",
    ),
    Mutation(
        "ring_freed_early",
        "ring space freed on every buffer write instead of once per window",
        "ecg_bnn_window.sv",
        "assign win_free_o   = p2_q && last2_q;",
        "assign win_free_o   = p2_q;",
        "frontend",
        "bmc",
    ),
)


def prepare(mut: Mutation) -> tuple[Path, Path]:
    """Write the mutated RTL file and a copy of the task's .sby using it; return both paths."""
    src = formal.REPO / "rtl" / mut.file
    text = src.read_text()
    if text.count(mut.old) != 1:
        raise ValueError(f"{mut.name}: the text to mutate occurs {text.count(mut.old)} times")
    work = MUT / mut.name
    work.mkdir(parents=True, exist_ok=True)
    (work / mut.file).write_text(text.replace(mut.old, mut.new))
    sby = formal.FORMAL / f"{mut.sby}.sby"
    out, section = [], ""
    for line in sby.read_text().splitlines():
        if line.startswith("["):
            section = line.strip()
            if section == "[options]" and mut.bmc:
                out += [line, "mode bmc", f"depth {BMC_DEPTH[mut.sby]}"]
                continue
        elif section == "[options]" and mut.bmc:
            continue
        elif section == "[files]" and line.strip() and not line.startswith("#"):
            path = (sby.parent / line.strip()).resolve()
            line = str(work / mut.file) if path.name == mut.file else str(path)
        out.append(line)
    copy = work / f"{mut.sby}.sby"
    copy.write_text("\n".join(out) + "\n")
    return work, copy


def run_one(mut: Mutation, timeout: float) -> dict[str, Any]:
    """Run one mutation; caught when the proof finds a counterexample."""
    work, sby = prepare(mut)
    res = formal.run_sby(sby, mut.task, Path("run"), timeout)
    return {
        "name": mut.name,
        "what": mut.what,
        "file": f"rtl/{mut.file}",
        "task": f"{mut.sby}/{mut.task}",
        "status": res["status"],
        "method": f"BMC depth {BMC_DEPTH[mut.sby]}" if mut.bmc else "k-induction",
        "caught": res["status"] == "FAIL" or (not mut.bmc and res["status"] == "UNKNOWN"),
        "failed": res["failed"],
        "seconds": res["seconds"],
        "workdir": str(work.relative_to(formal.REPO)),
    }


def run_all(timeout: float, fast: bool = False, names: list[str] | None = None) -> list[dict]:
    """Run the mutations (``fast``: only those marked fast; ``names``: only those)."""
    muts = [m for m in MUTATIONS if (m.fast or not fast) and (names is None or m.name in names)]
    results = []
    for mut in tqdm(muts, desc="mutations", unit="mutation"):
        r = run_one(mut, timeout)
        verdict = "caught" if r["caught"] else "MISSED"
        tqdm.write(f"{mut.name:26s} {verdict:7s} {r['seconds']:6.1f} s  {', '.join(r['failed'])}")
        results.append(r)
    return results


def main() -> int:
    """Run the mutations and print (or write with --json) the results."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--fast", action="store_true", help="only the mutations tests/ run")
    ap.add_argument("--only", nargs="*", default=None, help="mutation names")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per proof (default 600)")
    ap.add_argument("--json", type=Path, default=None, help="write the results to this file")
    args = ap.parse_args()
    results = run_all(args.timeout, args.fast, args.only)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    missed = [r["name"] for r in results if not r["caught"]]
    print(f"mutations: {len(results) - len(missed)} of {len(results)} caught")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
