"""Regenerate the documentation's result tables from the measured figures in ``results/``.

Every table between ``<!-- readme:<name>:begin -->`` and ``<!-- readme:<name>:end -->`` is rendered
from a results file written by a script (never typed by hand). README.md holds the headline
(``accuracy``, ``invariance``, ``datasheet``); docs/accuracy.md the studies (``perclass``,
``selection``, ``split``, ``sweep``); docs/input_contract.md the full ``invariance`` table;
fpga/README.md the FPGA figures (``fpga``, ``performance``). Sources: results/evaluation.json
(``make evaluate``), golden_agreement.json (``scripts/check_golden.py``), rtl_benchmark.json
(``scripts/bench_rtl.py``), crossval.json (``make crossval``), input_invariance.json (``make
invariance``), selection_bias.json, split_spread.json, sweep.json (the studies), fpga.json/fpga.md,
cycles.json, energy.json/.md (``make fpga``, ``make bench``) and rtl/mem/<model>/manifest.json
(``make export``).

``--check`` exits with status 1 when a file is not up to date (used by the tests).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from doc_numbers import manifests, pct, replace_marked

from pymodel.shipped import IMPROVED, PAPER_EXACT, SHIPPED_MODELS, ShippedModel, model_for

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "results"
PROTOCOL_LABELS = {
    "paper": "5-class, `paper` (random 80/20)",
    "interpatient": "5-class, `interpatient` (DS1/DS2)",
    "ecg17": "17-class, `ecg17` (random 80/20)",
}
PAPER_BNN = {"paper": 0.9690, "ecg17": 0.9750}
PAPER_FLOAT = {"paper": 0.9709}
FLOAT_ANCHOR = {"ecg17": "91.33 % (Yildirim et al. 2018, 1-D CNN, 10-fold)"}


def load_json(name: str) -> dict:
    """``results/<name>`` parsed, or {} when it does not exist yet."""
    path = RESULTS / name
    return json.loads(path.read_text()) if path.is_file() else {}


def rtl_entry(bench: dict, name: str) -> dict:
    """The Verilator runs of the RTL benchmark on one model's test set, merged: the smallest
    agreement and window count of its builds (behavioural, iCE40 cells); {} when not run."""
    runs = bench.get("sets", {}).get(name, {}).get("runs", [])
    verilator = [r for r in runs if r.get("simulator") == "verilator"]
    if not verilator:
        return {}
    return {
        "agreement": min(r["agreement"] for r in verilator),
        "windows": min(r["windows"] for r in verilator),
    }


def crossval_cell(entry: dict | None) -> str:
    """``mean +- sd % (k folds)`` of a cross-validation entry, or a dash when not run."""
    if not entry or entry["folds"] < 2:
        return "-"
    return f"{entry['mean']:.2f} +- {entry['sd']:.2f} % ({entry['folds']} folds)"


def model_cells(shipped: ShippedModel | None, figures: dict) -> tuple[str, str, str]:
    """(held-out accuracy, RTL = golden, float = integer) of one shipped model, or dashes."""
    ag = figures["agreement"].get(shipped.name, {}) if shipped else {}
    if not ag:
        return "-", "-", "-"
    rtl = rtl_entry(figures["bench"], shipped.name)
    rtl_agree = pct(rtl.get("agreement"))
    if rtl.get("windows") and rtl["windows"] != ag["test_windows"]:
        rtl_agree += f" ({rtl['windows']} windows)"
    accuracy = f"{pct(ag.get('integer_accuracy'))} (`{shipped.name}`)"
    return accuracy, rtl_agree, pct(ag.get("agreement"))


def both(exact: str, improved: str) -> str:
    """``paper-exact / improved`` cell, or the paper-exact figure alone without an improved one."""
    return exact if improved == "-" else f"{exact} / {improved}"


def accuracy_table() -> str:
    """Headline: per task the paper's figure, our paper-exact and improved models, the anchor."""
    evaluation = load_json("evaluation.json")
    if not evaluation:
        return "_Not measured yet: run `make evaluate` then `make readme`._"
    figures = {
        "agreement": load_json("golden_agreement.json").get("models", {}),
        "bench": load_json("rtl_benchmark.json"),
    }
    crossval = load_json("crossval.json")
    candidates = load_json("crossval_candidates.json")
    rows = [
        "| task, protocol | test windows | paper (chosen on test) | ours, paper-exact | "
        "cross-validation | ours, improved | cross-validation | RTL = golden | float = integer "
        "| float anchor |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for protocol, label in PROTOCOL_LABELS.items():
        exact, improved = model_for(protocol, PAPER_EXACT), model_for(protocol, IMPROVED)
        if not exact or exact.name not in evaluation:
            continue
        acc_e, rtl_e, agree_e = model_cells(exact, figures)
        acc_i, rtl_i, agree_i = model_cells(improved, figures)
        cv_i = candidates.get(improved.crossval) if improved else None
        rows.append(
            f"| {label} | {evaluation[exact.name]['bnn']['test_windows']} | "
            f"{pct(PAPER_BNN.get(protocol))} | {acc_e} | {crossval_cell(crossval.get(protocol))} | "
            f"{acc_i} | {crossval_cell(cv_i)} | {both(rtl_e, rtl_i)} | {both(agree_e, agree_i)} | "
            f"{FLOAT_ANCHOR.get(protocol, '-')} |"
        )
    rows += [
        "",
        "Ours: the BNN through the integer golden model, which the RTL matches bit for bit "
        "(`scripts/check_golden.py`); paper-exact: the paper's network and training; improved: "
        "the same network, ROM formats and RTL, trained with the recipe that raised the "
        "cross-validated accuracy ([docs/crossval_candidates.md](docs/crossval_candidates.md)), "
        "`make sim MODEL=<name>`. Cross-validation: stratified k-fold, integer model, the "
        "recipe's mean +- sd over folds (`make crossval`). RTL = golden: whole test set through "
        "the Verilator RTL (`scripts/bench_rtl.py`; the behavioural RTL and the iCE40 build "
        "with its SB_SPRAM256KA, SB_RAM40_4K and SB_MAC16 cells, the lower of the two), "
        "paper-exact / improved. One random split "
        "of 200 windows moves the 17-class figure by several points either way "
        "([docs/accuracy.md](docs/accuracy.md)): compare recipes by their cross-validation. "
        "Per class, "
        "confusion matrices and the studies: [docs/accuracy.md](docs/accuracy.md).",
    ]
    return "\n".join(rows)


def perclass_table() -> str:
    """Per-class sensitivity / positive predictive value of the shipped models."""
    evaluation = load_json("evaluation.json")
    rows = ["Sensitivity / positive predictive value (%) of the BNN on the held-out windows:", ""]
    for shipped in SHIPPED_MODELS:
        per_class = evaluation.get(shipped.name, {}).get("bnn", {}).get("per_class", {})
        if per_class:
            cells = ", ".join(
                f"{name} {100 * m['sensitivity']:.1f}/{100 * m['ppv']:.1f} (n={m['support']})"
                for name, m in per_class.items()
            )
            rows.append(f"- `{shipped.name}`, {PROTOCOL_LABELS[shipped.protocol]}: {cells}")
    rows += ["", "Confusion matrices and training curves: `results/<model>_cm.png`, `_curves.png`."]
    return "\n".join(rows)


def fmax_text(pnr: dict) -> str:
    """Fmax as the median over placement seeds where the flow placed several, else one seed's."""
    by_seed = pnr.get("fmax_by_seed")
    if not by_seed:
        return f"Fmax {pnr['fmax_mhz']:.1f} MHz"
    seeds = ", ".join(by_seed)
    return f"Fmax {pnr['fmax_median_mhz']:.1f} MHz (median of placement seeds {seeds})"


def datasheet_table() -> str:
    """One table of the default configuration: resources, speed, energy and storage."""
    fpga = load_json("fpga.json")
    default = fpga.get("configs", {}).get("default", {})
    cycles = next((c for c in load_json("cycles.json").get("settings", []) if c["pe"] == 1), {})
    energy = load_json("energy.json")
    rows = ["| default configuration (SIMD 16, PE 1) | figure |", "|---|---|"]
    if default:
        ice, pnr = default["ice40"], default["pnr"]
        cap = fpga["up5k_capacity"]
        lcs = pnr["utilization"]["ICESTORM_LC"]
        rows += [
            f"| iCE40 UP5K, bare IP (Yosys `synth_ice40 -dsp`) | {ice['LUT']} LUT4, "
            f"{ice['FF']} FF, {ice['BRAM']} EBR, {ice['SPRAM']} SPRAM, {ice['DSP']} DSP |",
            f"| placed (nextpnr) | {lcs} logic cells ({100 * lcs / cap['LUT']:.0f} %), "
            f"{fmax_text(pnr)} |",
        ]
    if cycles:
        rows.append(
            f"| latency, last sample to result | {cycles['latency_cycles']:,} cycles = "
            f"{cycles['latency_cycles'] / 12e3:.1f} ms at 12 MHz |"
        )
    for row in energy.get("rows", []):
        if row["clock"] == "12 MHz":
            rows.append(
                f"| energy per window at 12 MHz (estimate) | {row['energy_per_window_uj']:.1f} uJ, "
                f"{row['p_average_mw']:.3f} mW average at one window per 10 s |"
            )
    for m in manifests(REPO / "rtl" / "mem"):
        st = m["storage"]
        rows.append(
            f"| ROM images `{m['model_name']}` | {st['rom_total_bytes']:,} B as built, "
            f"{st['binary_weight_bytes']:,.0f} B of binary weights (paper: {st['paper_kb']} KB "
            "in all) |"
        )
    return "\n".join(rows) if len(rows) > 2 else "_Not measured yet: run `make fpga`._"


def selection_table() -> str:
    """Validation-chosen test accuracy against the best test epoch (results/selection_bias.json)."""
    runs = load_json("selection_bias.json")
    if not runs:
        return "_Not measured yet: see `studies/selection_bias.py`._"
    rows = [
        "| run (recipe of) | protocol | epochs | test acc., checkpoint chosen on validation | "
        "max test acc. over epochs (paper-style) | mean test acc., last 10 % of epochs | paper |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, run in runs.items():
        f, paper = run["figures"], pct(PAPER_BNN.get(run["protocol"]))
        rows.append(
            f"| `{name}` | `{run['protocol']}` | {f['epochs']} | {pct(f['chosen_test_acc'])} "
            f"(epoch {f['chosen_epoch']}) | {pct(f['max_test_acc'])} (epoch "
            f"{f['max_test_epoch']}) | {pct(f['last_epochs_mean_test_acc'])} | {paper} |"
        )
    return "\n".join(rows)


def points(value: float) -> str:
    """An accuracy difference or spread in percentage points."""
    return f"{100 * value:.2f}"


def one_in(chance: float | None) -> str:
    """A small probability as "1 in N" (a dash when unknown, "never" when zero)."""
    if chance is None:
        return "-"
    return "never" if chance <= 0.0 else f"1 in {round(1.0 / chance):,}"


def split_table() -> str:
    """Across-split spread of test accuracy (results/split_spread.json)."""
    spread = load_json("split_spread.json")
    if not spread:
        return "_Not measured yet: see `make split-spread`._"
    rows = [
        "| protocol | splits x epochs | test windows | test acc., chosen on validation: mean +- sd "
        "[min, max] | binomial sd of the test windows alone | best test epoch: mean +- sd, "
        "largest | expected best of 100 splits (normal approx.): chosen / best epoch | paper | "
        "splits until one reaches the paper at its best epoch (normal approx.) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for protocol, entry in spread.items():
        s = entry["summary"]
        rows.append(
            f"| `{protocol}` | {s['splits']} x {s['epochs']} | {s['test_windows']} | "
            f"{pct(s['chosen_mean'])} +- {points(s['chosen_sd'])} [{pct(s['chosen_min'])}, "
            f"{pct(s['chosen_max'])}] | {points(s['binomial_sd'])} | {pct(s['max_test_mean'])} "
            f"+- {points(s['max_test_sd'])}, {pct(s['max_test_max'])} | "
            f"{pct(s['expected_best_chosen'])} / {pct(s['expected_best_max_test'])} | "
            f"{pct(s['paper'])} | {one_in(s['chance_max_test_reaches_paper'])} |"
        )
    return "\n".join(rows)


def sweep_table() -> str:
    """Seed / hyper-parameter sweeps: the member chosen on validation and the spread."""
    sweeps = load_json("sweep.json")
    if not sweeps:
        return "_Not measured yet: see `make sweep`._"
    rows = [
        "| sweep | protocol | members x epochs | test acc., member chosen on validation | "
        "members' test acc. at their chosen epochs: mean [min, max] | best test acc. of any "
        "member and epoch (paper-style) | rank correlation validation/test | paper |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in sweeps.items():
        c, t, paper = s["chosen"], s["test_at_chosen"], pct(PAPER_BNN.get(s["protocol"]))
        rows.append(
            f"| `{name}` | `{s['protocol']}` | {s['members']} x {s['epochs']} | "
            f"{pct(c['test_acc'])} (val. {pct(c['val_acc'])}; {c['label']}) | "
            f"{pct(t['mean'])} [{pct(t['min'])}, {pct(t['max'])}] | "
            f"{pct(s['max_test_any_epoch'])} | {s['val_test_rank_correlation']:.2f} | {paper} |"
        )
    rows += ["", factor_table(sweeps)]
    timing = [
        f"`{name}` {s['seconds_per_epoch']:.2f} s per epoch of all members on {s['trained_on']}"
        for name, s in sweeps.items()
    ]
    rows += [
        "",
        "Training time (with the per-epoch validation and test): " + "; ".join(timing) + ".",
    ]
    return "\n".join(rows)


def factor_table(sweeps: dict) -> str:
    """Main effects: mean test accuracy (at each member's chosen epoch) per level of a factor."""
    rows = [
        "| sweep | factor | mean test acc. per level (members; mean validation acc.) |",
        "|---|---|---|",
    ]
    for name, s in sweeps.items():
        for factor, levels in s.get("factors", {}).items():
            cells = [
                f"{level}: {pct(g['mean_test_acc'])} "
                f"({g['members']}; val. {pct(g['mean_val_acc'])})"
                for level, g in levels.items()
            ]
            rows.append(f"| `{name}` | {factor} | " + "; ".join(cells) + " |")
    return "\n".join(rows)


def include(name: str, missing: str) -> str:
    """The markdown file ``results/<name>`` as written by its script, or a placeholder."""
    path = RESULTS / name
    return path.read_text().strip() if path.is_file() else missing


def invariance_table(full: bool = False) -> str:
    """Held-out accuracy of every shipped model under input gain and offset: the IP's rows (the
    README), or with ``full`` also the same BNN in PyTorch and the full-precision twin on the
    same samples (docs/input_contract.md)."""
    results = load_json("input_invariance.json")
    if not results:
        return "_Not measured yet: run `make invariance` then `make readme`._"
    first = next(iter(results.values()))
    gains, offsets = list(first["gain"]), list(first["offset"])
    head = ["model", "x1", *(f"x{g}" for g in gains), *(f"{int(o):+d}" for o in offsets)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in results.items():
        rows = [(f"`{name}` (IP)", "")]
        if full:
            rows += [(f"`{name}` in PyTorch", "float_"), (f"twin `{r.get('twin')}`", "twin_")]
        for label, prefix in rows:
            if f"{prefix}gain" not in r:
                continue
            cells = [f"{r[prefix + 'baseline']:.2f}"]
            cells += [f"{r[prefix + 'gain'][g]:.2f}" for g in gains]
            cells += [f"{r[prefix + 'offset'][o]:.2f}" for o in offsets]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    worst = max(r["max_deviation_points"] for r in results.values())
    changed = max(max(r["changed_classes"].values()) for r in results.values())
    lines.append("")
    lines.append(
        f"Accuracy in % on each protocol's held-out windows mapped to signed (code - 1024), then "
        f"scaled (rounded to integers) or shifted; IP = integer golden model = RTL. Worst "
        f"deviation of the IP from x1: {worst:.2f} points; at most {changed} windows change class "
        "at any point; offsets change none by construction. Gains below 1 discard the low bits of "
        f"the signal, which costs a full-precision CNN as well ({twin_loss_text(results)})."
    )
    if full:
        lines.append("")
        lines.append(
            "In PyTorch: the same BNN in floating point on the same integer samples. Twin: a "
            "full-precision CNN of the same shape trained on the same windows (`weights/fp*.pt`)."
        )
    return "\n".join(lines)


def twin_loss_text(results: dict) -> str:
    """The full-precision twins' change at the smallest gain (``fp17 -7.00 points at x1/16``)."""
    smallest = min(next(iter(results.values()))["gain"], key=Fraction)  # "1/16", "3.3"
    parts = [
        f"`{r['twin']}` {r['twin_gain'][smallest] - r['twin_baseline']:+.2f} points at x{smallest}"
        for r in results.values()
        if "twin_gain" in r
    ]
    return "; ".join(parts) or "no twin measured"


def cycles_table() -> str:
    """Cycles per window against the ideal per parallelism setting (results/cycles.json)."""
    cycles = load_json("cycles.json")
    if not cycles:
        return "_Cycles not measured yet: run `make bench`._"
    rows = [
        "| SIMD x PE | ideal cycles | engine cycles | engine / ideal | latency cycles | "
        "latency / ideal | ms per window at 12 MHz |",
        "|---|---|---|---|---|---|---|",
    ]
    for st in cycles["settings"]:
        rows.append(
            f"| {st['simd']} x {st['pe']} | {st['ideal_cycles']:,.0f} | {st['engine_cycles']:,} | "
            f"{st['engine_ratio']:.3f} | {st['latency_cycles']:,} | {st['latency_ratio']:.3f} | "
            f"{st['latency_cycles'] / 12e3:.1f} |"
        )
    rows += [
        "",
        f"Measured by `scripts/bench_cycles.py` ({cycles['simulator']}, {cycles['num_classes']} "
        f"classes): {cycles['ideal_definition']}; latency = {cycles['clock_note']}. A new window "
        "can start every `engine cycles`.",
    ]
    return "\n".join(rows)


def performance_table() -> str:
    """Cycles per window, energy estimate and RTL simulation throughput."""
    parts = [
        cycles_table(),
        include("energy.md", "_Energy not estimated yet: run `make fpga`._"),
    ]
    runs = [
        (name, run)
        for name, entry in load_json("rtl_benchmark.json").get("sets", {}).items()
        for run in entry.get("runs", [])
    ]
    if runs:
        cells = "; ".join(
            f"{run['simulator']}{' (iCE40 cells)' if run.get('build') == 'iCE40 cells' else ''} "
            f"on `{name}` ({run['windows']} windows): "
            f"{run['windows_per_s_per_process']:.2f} windows/s per process"
            for name, run in runs
        )
        parts.append(f"RTL simulation throughput (`scripts/bench_rtl.py`): {cells}.")
    return "\n\n".join(parts)


SECTIONS: dict[str, dict[str, Callable[[], str]]] = {
    "README.md": {
        "accuracy": accuracy_table,
        "invariance": invariance_table,
        "datasheet": datasheet_table,
    },
    "docs/input_contract.md": {"invariance": lambda: invariance_table(full=True)},
    "docs/accuracy.md": {
        "perclass": perclass_table,
        "selection": selection_table,
        "split": split_table,
        "sweep": sweep_table,
    },
    "fpga/README.md": {
        "fpga": lambda: include("fpga.md", "_Not measured yet: run `make fpga`._"),
        "performance": performance_table,
    },
}


def render(text: str, sections: dict[str, Callable[[], str]]) -> str:
    """``text`` with every generated section of ``sections`` replaced."""
    for name, make in sections.items():
        text = replace_marked(
            text, make(), f"<!-- readme:{name}:begin -->", f"<!-- readme:{name}:end -->"
        )
    return text


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="fail when README.md is out of date")
    args = p.parse_args(argv)
    stale = []
    for rel, sections in SECTIONS.items():
        path = REPO / rel
        current = path.read_text()
        updated = render(current, sections)
        if updated != current:
            stale.append(rel)
            if not args.check:
                path.write_text(updated)
    if args.check:
        if stale:
            print(f"out of date: {', '.join(stale)}: run `make readme`", file=sys.stderr)
            return 1
        print("generated tables are up to date")
        return 0
    print(f"updated {', '.join(stale) or 'nothing'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
