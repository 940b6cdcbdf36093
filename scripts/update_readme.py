"""Regenerate the README's result tables from the measured figures in ``results/``.

Every table between ``<!-- readme:<name>:begin -->`` and ``<!-- readme:<name>:end -->`` in
README.md is rendered from a results file written by a script (never typed by hand):

- ``accuracy``: results/evaluation.json (``make evaluate``), results/golden_agreement.json
  (``scripts/check_golden.py``) and results/rtl_benchmark.json (``scripts/bench_rtl.py``);
- ``selection``: results/selection_bias.json (``studies/selection_bias.py``);
- ``split``: results/split_spread.json (``studies/split_spread.py``, ``make split-spread``);
- ``sweep``: results/sweep.json (``python -m studies.sweep summarize``, ``make sweep``);
- ``storage``: rtl/mem/<model>/manifest.json (``make export``);
- ``invariance``: results/input_invariance.json (``make invariance``);
- ``fpga``: results/fpga.md (``make fpga``);
- ``performance``: results/cycles.md (``scripts/bench_cycles.py``), results/energy.md and the
  RTL simulation throughput.

``--check`` exits with status 1 when README.md is not up to date (used by the tests).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from doc_numbers import manifests, pct, replace_marked

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "results"
PROTOCOLS = {
    "paper": ("5-class, `paper` (random 80/20)", "bnn5_paper"),
    "interpatient": ("5-class, `interpatient` (DS1/DS2)", "bnn5_interpatient"),
    "ecg17": ("17-class, `ecg17` (random 80/20)", "bnn17"),
}
PAPER_BNN = {"paper": 0.9690, "ecg17": 0.9750}
PAPER_FLOAT = {"paper": 0.9709}


def load_json(name: str) -> dict:
    """``results/<name>`` parsed, or {} when it does not exist yet."""
    path = RESULTS / name
    return json.loads(path.read_text()) if path.is_file() else {}


def rtl_entry(bench: dict, protocol: str) -> dict:
    """The Verilator run of the RTL benchmark on one protocol's test set ({} when not run)."""
    runs = bench.get("sets", {}).get(protocol, {}).get("runs", [])
    verilator = [r for r in runs if r.get("simulator") == "verilator"]
    return verilator[0] if verilator else {}


def accuracy_table() -> str:
    """Float, integer and RTL accuracy per protocol beside the paper's figures."""
    evaluation = load_json("evaluation.json")
    agreement = load_json("golden_agreement.json").get("protocols", {})
    bench = load_json("rtl_benchmark.json")
    if not evaluation:
        return "_Not measured yet: run `make evaluate` then `make readme`._"
    rows = [
        "| task, protocol | test windows | paper BNN | our float twin | our BNN (PyTorch) | "
        "integer golden model | RTL (Verilator) | integer = PyTorch | RTL = golden |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for protocol, (label, _) in PROTOCOLS.items():
        ev = evaluation.get(protocol)
        if not ev:
            continue
        ag, rtl = agreement.get(protocol, {}), rtl_entry(bench, protocol)
        rtl_windows = rtl.get("windows")
        rtl_acc = pct(rtl.get("accuracy_rtl"))
        if rtl_windows and rtl_windows != ev["bnn"]["test_windows"]:
            rtl_acc += f" ({rtl_windows} windows)"
        rows.append(
            f"| {label} | {ev['bnn']['test_windows']} | {pct(PAPER_BNN.get(protocol))} | "
            f"{pct(ev.get('float', {}).get('accuracy'))} | {pct(ev['bnn']['accuracy'])} | "
            f"{pct(ag.get('integer_accuracy'))} | {rtl_acc} | {pct(ag.get('agreement'))} | "
            f"{pct(rtl.get('agreement'))} |"
        )
    rows += ["", "Per-class sensitivity / positive predictive value of the BNN (PyTorch):", ""]
    for protocol, (label, _) in PROTOCOLS.items():
        per_class = evaluation.get(protocol, {}).get("bnn", {}).get("per_class", {})
        if per_class:
            cells = ", ".join(
                f"{name} {100 * m['sensitivity']:.1f}/{100 * m['ppv']:.1f} (n={m['support']})"
                for name, m in per_class.items()
            )
            rows.append(f"- {label}: {cells}")
    rows += [
        "",
        "Confusion matrices and training curves: `results/<model>_cm.png`, "
        "`results/<model>_curves.png`. The paper's figures come from a random window split "
        "like our `paper` protocol; it reports no inter-patient figure.",
    ]
    return "\n".join(rows)


def storage_table() -> str:
    """What the hardware stores per shipped model, beside the paper's parameter sizes."""
    mans = manifests(REPO / "rtl" / "mem")
    if not mans:
        return "_Not measured yet: run `make export` then `make readme`._"
    rows = [
        "| model | binary weights | ROM images as built | compact (minimal field widths) | paper |",
        "|---|---|---|---|---|",
    ]
    for m in mans:
        st = m["storage"]
        rows.append(
            f"| `{m['model_name']}` | {st['binary_weight_bytes']:.0f} B | "
            f"{st['rom_total_bytes']} B | {st['compact_total_bytes']} B | "
            f"{st['paper_kb']} KB ({st['paper_weight_bytes']} B weights) |"
        )
    rows += [
        "",
        "ROM images: `weights.mem` (16-bit words), `thresholds.mem` (41-bit `{inv, hi, lo}`), "
        "`scores.mem` (64-bit `{C, B, A}`); layouts in docs/ARCHITECTURE.md.",
    ]
    return "\n".join(rows)


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


def invariance_table() -> str:
    """Held-out accuracy of every shipped model under input gain and offset."""
    results = load_json("input_invariance.json")
    if not results:
        return "_Not measured yet: run `make invariance` then `make readme`._"
    first = next(iter(results.values()))
    gains, offsets = list(first["gain"]), list(first["offset"])
    head = ["model", "x1", *(f"x{g}" for g in gains), *(f"{int(o):+d}" for o in offsets)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in results.items():
        cells = [f"{r['baseline']:.2f}", *(f"{r['gain'][g]:.2f}" for g in gains)]
        cells += [f"{r['offset'][o]:.2f}" for o in offsets]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    worst = max(r["max_deviation_points"] for r in results.values())
    changed = max(max(r["changed_classes"].values()) for r in results.values())
    lines.append("")
    lines.append(
        f"Accuracy in % on each protocol's held-out windows mapped to signed (code - 1024), then "
        f"scaled (rounded) or shifted; integer golden model = RTL. Worst deviation from x1: "
        f"{worst:.2f} points; at most {changed} windows change class at any point (offsets: none "
        "by construction)."
    )
    return "\n".join(lines)


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
            f"{run['simulator']} on `{name}` ({run['windows']} windows): "
            f"{run['windows_per_s_per_process']:.2f} windows/s per process"
            for name, run in runs
        )
        parts.append(f"RTL simulation throughput (`scripts/bench_rtl.py`): {cells}.")
    return "\n\n".join(parts)


SECTIONS: dict[str, Callable[[], str]] = {
    "accuracy": accuracy_table,
    "selection": selection_table,
    "split": split_table,
    "sweep": sweep_table,
    "storage": storage_table,
    "invariance": invariance_table,
    "fpga": lambda: include("fpga.md", "_Not measured yet: run `make fpga` then `make readme`._"),
    "performance": performance_table,
}


def render(readme: str) -> str:
    """``readme`` with every generated section replaced."""
    for name, make in SECTIONS.items():
        readme = replace_marked(
            readme, make(), f"<!-- readme:{name}:begin -->", f"<!-- readme:{name}:end -->"
        )
    return readme


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="fail when README.md is out of date")
    args = p.parse_args(argv)
    path = REPO / "README.md"
    current = path.read_text()
    updated = render(current)
    if args.check:
        if updated != current:
            print("README.md is out of date: run `make readme`", file=sys.stderr)
            return 1
        print("README.md tables are up to date")
        return 0
    path.write_text(updated)
    print(f"updated {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
