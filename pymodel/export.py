"""Export a trained model to the accelerator's ROM images, manifest and SystemVerilog parameters.

``python -m pymodel.export`` (or ``scripts/export.py``) folds every committed binary checkpoint
``weights/<name>.pt`` into ``rtl/mem/<name>/``::

    weights.mem  thresholds.mem              $readmemh images (layout: pymodel/packing.py): the
                                             weight rows, and the parameter stream (thresholds
                                             and score coefficients at minimal field widths)
    manifest.json                            widths, depths, bit order, sha256 of every file and
                                             of the source checkpoint, layer table, shift s,
                                             class names, storage
    ecg_bnn_params.svh                       `define macros for the RTL (class count, depths,
                                             widths, WBASE/WPR/TBASE per layer, file names, the
                                             stream's field widths and bases)

and prints the storage of each model next to the paper's figures.

Public API: :func:`export_model` ``(source, out_dir, name=None) -> ExportResult`` (``source`` is a
checkpoint path or an :class:`~pymodel.model.EcgBnn`), :func:`load_params` ``(mem_dir) ->
IntegerParams`` (alias :func:`load_golden_from_mem`: the integer model rebuilt from the ``.mem``
files and manifest only, every file checked), :func:`load_checkpoint_model`,
:func:`storage_report`, :func:`format_storage`, :func:`render_svh`, :func:`main`.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pymodel import golden
from pymodel.golden import IntegerParams
from pymodel.memfile import MemFileError, read_mem, sha256_file, write_mem
from pymodel.network import layer_shapes
from pymodel.packing import (
    STREAM_WORD_W,
    WEIGHT_WORD_W,
    PackingError,
    layout,
    pack_params,
    stream_format,
    unpack_params,
)

if TYPE_CHECKING:  # torch is imported only where a checkpoint is read or a model folded
    from pymodel.model import EcgBnn

MANIFEST_FORMAT = "ecg_bnn_rom/2"
MANIFEST = "manifest.json"
SVH = "ecg_bnn_params.svh"
ROM_FILES = {"weights": "weights.mem", "thresholds": "thresholds.mem"}
ROM_WIDTHS = {"weights": WEIGHT_WORD_W, "thresholds": STREAM_WORD_W}
PAPER_KB = {5: 3.76, 17: 4.45}
PAPER_WEIGHT_BYTES = {5: 3535, 17: 4207}
WORD_LAYOUT = {
    "weights": "row c of layer l at WBASE_l + c*WPR_l + r/16; bit r%16 = weight r = k*C_in + ci "
    "(1 = +1, 0 = -1); unused high bits of a row's last word are 0",
    "thresholds": "parameter stream, bit i = bit i%16 of word i/16, fields MSB first: per block "
    "1-5 HW[5] LW[5] IW[1] BW[5] HBASE[BW] LBASE[LW ? BW : 0], per channel HF[HW] LF[LW] "
    "INV[IW] (hi = HF ? HBASE + HF : never, lo = LF ? LBASE + LF : never); then AW-1[5] "
    "BW-1[5] CW-1[5], per class A[AW] B[BW] C[CW] signed; zero padding; "
    "bit = ((m >= hi) | (m <= lo)) ^ inv, score = A*S_pos + B*S_neg + C",
}


class ExportError(ValueError):
    """The model or an exported directory cannot be used (names the file)."""


@dataclass
class ExportResult:
    """What :func:`export_model` wrote: directory, integer parameters, manifest dict."""

    out_dir: Path
    params: IntegerParams
    manifest: dict


def repo_root() -> Path:
    """The repository root (parent of ``pymodel``)."""
    return Path(__file__).resolve().parent.parent


def load_checkpoint_model(path: str | os.PathLike[str]) -> tuple[EcgBnn, dict]:
    """Load a deployable checkpoint (``state_dict``, ``num_classes``, ``binary``) in eval mode."""
    import torch

    from pymodel.model import model_from_state_dict

    ckpt = torch.load(Path(path), map_location="cpu", weights_only=False)
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt or "num_classes" not in ckpt:
        raise ExportError(f"{path}: not a checkpoint with 'state_dict' and 'num_classes'")
    model = model_from_state_dict(
        ckpt["state_dict"], int(ckpt["num_classes"]), binary=bool(ckpt.get("binary", True))
    )
    return model, ckpt


def state_dict_sha256(model: EcgBnn) -> str:
    """SHA-256 of a model's serialized ``state_dict`` (for models exported without a file)."""
    import torch

    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return hashlib.sha256(buf.getvalue()).hexdigest()


def display_path(path: Path) -> str:
    """``path`` relative to the repository when inside it, else as given."""
    try:
        return path.resolve().relative_to(repo_root()).as_posix()
    except ValueError:
        return str(path)


# ----------------------------------------------------------------------------- storage


def storage_report(params: IntegerParams) -> dict:
    """Bits and bytes the hardware stores for a model, what each is, next to the paper's figures.

    ``rom_*``: the ROM images as built (word width times depth, padding included); ``items``:
    what every bit of them is (``rom``, ``what``, ``bits``), summing to the images exactly. No
    model-specific constant lives outside the images: the stream's headers carry the field
    widths and bases. The paper reports 3.76 KB (5 classes) / 4.45 KB (17) and 3535 / 4207 bytes
    of binary weights.
    """
    c = params.num_classes
    lay = layout(c)
    shapes = layer_shapes(c)
    fmt = stream_format(params)
    weight_bits = sum(s.weight_bits for s in shapes)
    rom = {"weights": lay.weights_depth * WEIGHT_WORD_W, "thresholds": fmt.words * STREAM_WORD_W}
    pads = [
        (s.index, s.out_channels, ll.wpr * WEIGHT_WORD_W - s.weight_bits // s.out_channels)
        for s, ll in zip(shapes, lay.layers, strict=True)
    ]
    pad_text = ", ".join(f"block {i}: {n} x {u}" for i, n, u in pads if u)
    items = [
        {"rom": "weights", "what": "binary weights (1 bit each)", "bits": weight_bits},
        {
            "rom": "weights",
            "what": f"unused bits of rows' last words ({pad_text or 'none'})",
            "bits": sum(n * u for _, n, u in pads),
        },
    ]
    for s, f in zip(shapes[:-1], fmt.blocks, strict=True):
        base = f"HBASE{' LBASE' if f.lw else ''} {f.bw}"
        items.append(
            {
                "rom": "thresholds",
                "what": f"block {s.index} header (widths 16, {base} bits)",
                "bits": f.header_bits,
            }
        )
        parts = [f"hi {f.hw}"] + ([f"lo {f.lw}"] if f.lw else []) + (["inv 1"] if f.iw else [])
        items.append(
            {
                "rom": "thresholds",
                "what": f"block {s.index} thresholds ({s.out_channels} x {f.record_bits}: "
                + ", ".join(parts)
                + ")",
                "bits": s.out_channels * f.record_bits,
            }
        )
    sf = fmt.scores
    items += [
        {"rom": "thresholds", "what": "score header (widths)", "bits": sf.header_bits},
        {
            "rom": "thresholds",
            "what": f"score coefficients ({c} x {sf.record_bits}: A {sf.aw}, B {sf.bw}, C {sf.cw})",
            "bits": c * sf.record_bits,
        },
        {
            "rom": "thresholds",
            "what": "padding to a whole word",
            "bits": rom["thresholds"] - fmt.bits,
        },
    ]
    total_rom = sum(rom.values())
    if sum(it["bits"] for it in items) != total_rom:
        raise ExportError("storage items do not add up to the ROM images")
    return {
        "num_classes": c,
        "binary_weights": weight_bits,
        "binary_weight_bytes": weight_bits / 8,
        "rom_bits": rom,
        "rom_bytes": {k: math.ceil(v / 8) for k, v in rom.items()},
        "rom_total_bits": total_rom,
        "rom_total_bytes": math.ceil(total_rom / 8),
        "items": items,
        "outside_roms_bits": 0,
        "paper_kb": PAPER_KB.get(c),
        "paper_weight_bytes": PAPER_WEIGHT_BYTES.get(c),
    }


def format_storage(report: dict, name: str = "") -> str:
    """Human-readable storage table of :func:`storage_report`: every item, per ROM, in all."""
    rom, c = report["rom_bits"], report["num_classes"]

    def row(label: str, bits: int, note: str = "") -> str:
        """One aligned line: label, bits, bytes, note."""
        return f"  {label:<58s}{bits:>7d} bits {bits / 8:>8.1f} B  {note}".rstrip()

    lines = [f"storage of {name or 'model'} ({c} classes)"]
    for key, fname in ROM_FILES.items():
        width = ROM_WIDTHS[key]
        lines.append(row(f"{fname} ({rom[key] // width} x {width})", rom[key]))
        lines += [row(f"  {it['what']}", it["bits"]) for it in report["items"] if it["rom"] == key]
    paper_kb = report["paper_kb"]
    lines += [
        row(
            "total of the ROM images",
            report["rom_total_bits"],
            f"{report['rom_total_bytes']} B" + (f"; paper: {paper_kb} KB" if paper_kb else ""),
        ),
        row(
            "binary weights alone",
            report["binary_weights"],
            f"paper: {report['paper_weight_bytes']} B" if report["paper_weight_bytes"] else "",
        ),
    ]
    return "\n".join(lines).rstrip()


# ----------------------------------------------------------------------------- manifest, svh


def threshold_summary(params: IntegerParams) -> list[dict]:
    """Per block 1-5: channel count by encoding and the range of the in-range thresholds."""
    out = []
    for i, t in enumerate(params.thresholds, start=1):
        hi_used = t.hi[t.hi != golden.THR_NEVER_HI]
        lo_used = t.lo[t.lo != golden.THR_NEVER_LO]
        const = (t.hi == golden.THR_NEVER_HI) & (t.lo == golden.THR_NEVER_LO)
        out.append(
            {
                "block": i,
                "inverted": int(t.inv.sum()),
                "two_sided_or_interval": int((t.lo != golden.THR_NEVER_LO).sum()),
                "constant": int(const.sum()),
                "hi_range": [int(hi_used.min()), int(hi_used.max())] if hi_used.size else None,
                "lo_range": [int(lo_used.min()), int(lo_used.max())] if lo_used.size else None,
            }
        )
    return out


def stream_summary(params: IntegerParams) -> dict:
    """The parameter stream's format: per block 1-5 widths and bases, the score widths."""
    fmt = stream_format(params)
    return {
        "blocks": [
            {
                "block": i,
                "hw": f.hw,
                "lw": f.lw,
                "iw": f.iw,
                "bw": f.bw,
                "hbase": f.hbase,
                "lbase": f.lbase,
                "header_bits": f.header_bits,
                "record_bits": f.record_bits,
            }
            for i, f in enumerate(fmt.blocks, start=1)
        ],
        "scores": {"aw": fmt.scores.aw, "bw": fmt.scores.bw, "cw": fmt.scores.cw},
        "bits": fmt.bits,
        "words": fmt.words,
    }


def build_manifest(params: IntegerParams, files: dict[str, dict], source: dict) -> dict:
    """The manifest dict: format, model, source, widths, layer table, files, storage."""
    lay = layout(params.num_classes)
    layers = []
    for s, ll in zip(layer_shapes(params.num_classes), lay.layers, strict=True):
        layers.append(
            {
                "index": s.index,
                "in_channels": s.in_channels,
                "out_channels": s.out_channels,
                "stride": s.stride,
                "in_length": s.in_length,
                "conv_length": s.conv_length,
                "pool_length": s.pool_length,
                "wbase": ll.wbase,
                "wpr": ll.wpr,
                "tbase": ll.tbase,
            }
        )
    widths = {
        k: getattr(golden, k)
        for k in (
            "INPUT_W",
            "S1_W",
            "S2_W",
            "V_W",
            "R_W",
            "PAD_W",
            "ACC1_W",
            "THR_W",
            "COEF_W",
            "SCORE_W",
            "SUM_W",
        )
    }
    return {
        "format": MANIFEST_FORMAT,
        "model_name": params.name,
        "num_classes": params.num_classes,
        "class_names": list(params.class_names),
        "score_shift": params.shift,
        "source": source,
        "widths": widths,
        "conventions": {
            "bit_one_means": "+1",
            "sign_zero": "+1 (bit = 1 when the BatchNorm output is >= 0)",
            "word_layout": WORD_LAYOUT,
            "mem_format": "$readmemh: one word per line, fixed hex digits, no comments, "
            "line i = address i",
        },
        "layers": layers,
        "files": files,
        "thresholds": threshold_summary(params),
        "stream": stream_summary(params),
        "storage": storage_report(params),
    }


def render_svh(manifest: dict) -> str:
    """The generated ``ecg_bnn_params.svh``: include-guarded ``define`` macros for the RTL."""
    name = manifest["model_name"]
    src = manifest["source"]
    files = manifest["files"]
    defs: list[tuple[str, object]] = [
        ("MODEL_NAME", f'"{name}"'),
        ("NUM_CLASSES", manifest["num_classes"]),
        ("SCORE_SHIFT", manifest["score_shift"]),
    ]
    defs += [(k, v) for k, v in manifest["widths"].items()]
    for key in ROM_FILES:
        tag = {"weights": "W", "thresholds": "T"}[key]
        f = files[key]
        defs += [
            (f"{tag}ROM_W", f["width"]),
            (f"{tag}ROM_DEPTH", f["depth"]),
            (f"{tag}ROM_FILE", f'"{f["file"]}"'),
            (f"{tag}ROM_PATH", f'"rtl/mem/{name}/{f["file"]}"'),
        ]
    for ll in manifest["layers"]:
        defs += [(f"WBASE_{ll['index']}", ll["wbase"]), (f"WPR_{ll['index']}", ll["wpr"])]
        if ll["tbase"] is not None:
            defs.append((f"TBASE_{ll['index']}", ll["tbase"]))
    # the stream's format, for reading; the hardware takes it from the stream's headers
    for b in manifest["stream"]["blocks"]:
        defs += [(f"THR_{k.upper()}_{b['block']}", b[k]) for k in ("hw", "lw", "iw", "bw")]
        defs += [(f"THR_{k.upper()}_{b['block']}", b[k]) for k in ("hbase", "lbase")]
    defs += [(f"SCORE_{k.upper()}", v) for k, v in manifest["stream"]["scores"].items()]
    lines = [
        f"// Generated by pymodel.export for model '{name}'. Do not edit.",
        f"// Source: {src.get('checkpoint')} sha256 {src.get('sha256')}",
        "// Layout of every ROM word: docs/ARCHITECTURE.md and pymodel/packing.py. Pass",
        "// NUM_CLASSES and THRESHOLDS_DEPTH = TROM_DEPTH to ecg_bnn_top with the two files.",
        "`ifndef ECG_BNN_PARAMS_SVH",
        "`define ECG_BNN_PARAMS_SVH",
        *(f"`define ECG_BNN_{k} {v}" for k, v in defs),
        "`endif  // ECG_BNN_PARAMS_SVH",
        "",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- export / load


def is_path(source: object) -> bool:
    """True for a checkpoint path (``str`` or path-like), False for an in-memory model."""
    return isinstance(source, (str, os.PathLike))


def resolve_source(source: str | os.PathLike[str] | EcgBnn) -> tuple[EcgBnn, dict, dict]:
    """Model, checkpoint dict and manifest ``source`` entry for a path or an in-memory model."""
    if not is_path(source):
        info = {"checkpoint": None, "sha256": None, "state_dict_sha256": state_dict_sha256(source)}
        return source.eval(), {}, info
    path = Path(source)
    model, ckpt = load_checkpoint_model(path)
    info = {
        "checkpoint": display_path(path),
        "sha256": sha256_file(path),
        "state_dict_sha256": state_dict_sha256(model),
        "protocol": ckpt.get("protocol"),
    }
    return model, ckpt, info


def export_model(
    source: str | os.PathLike[str] | EcgBnn,
    out_dir: str | os.PathLike[str],
    name: str | None = None,
    class_names: tuple[str, ...] | None = None,
) -> ExportResult:
    """Fold ``source`` (checkpoint path or model) and write ROMs, manifest and svh to ``out_dir``.

    Verifies the written directory round-trips: :func:`load_params` must give back exactly the
    folded integers.
    """
    from pymodel.fold import fold_model  # reads the torch modules of the model

    model, ckpt, info = resolve_source(source)
    if name is None:
        name = Path(source).stem if is_path(source) else "model"
    names = class_names or tuple(ckpt.get("class_names", ())) or ()
    params = fold_model(model, class_names=names, name=name)
    return write_params(params, out_dir, info)


def write_params(
    params: IntegerParams, out_dir: str | os.PathLike[str], source: dict
) -> ExportResult:
    """Write ``params`` as ROM images, manifest and svh to ``out_dir``; no torch needed.

    ``source`` is the manifest's ``source`` entry (checkpoint path and hashes, or ``None``
    values). Verifies the written directory round-trips: :func:`load_params` must give back
    exactly ``params``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    roms = pack_params(params)
    files = {}
    for key, fname in ROM_FILES.items():
        digest = write_mem(out / fname, roms[key], ROM_WIDTHS[key])
        files[key] = {
            "file": fname,
            "width": ROM_WIDTHS[key],
            "depth": len(roms[key]),
            "hex_digits": -(-ROM_WIDTHS[key] // 4),
            "sha256": digest,
        }
    manifest = build_manifest(params, files, source)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    (out / SVH).write_text(render_svh(manifest))
    if not load_params(out).equal(params):
        raise ExportError(f"{out}: exported images do not round-trip to the folded parameters")
    return ExportResult(out, params, manifest)


def read_manifest(mem_dir: Path) -> dict:
    """Read and sanity-check ``manifest.json`` of an exported directory."""
    path = mem_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path}: cannot read manifest: {exc}") from exc
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ExportError(f"{path}: format {manifest.get('format')!r}, expected {MANIFEST_FORMAT}")
    if not isinstance(manifest.get("num_classes"), int) or manifest["num_classes"] < 1:
        raise ExportError(f"{path}: num_classes must be a positive integer")
    return manifest


def load_params(mem_dir: str | os.PathLike[str]) -> IntegerParams:
    """Rebuild the integer model from an exported directory (ROM images + manifest only).

    Every ``.mem`` is parsed strictly (``weights.mem`` against the depth the layer table implies,
    not just what the manifest says; ``thresholds.mem`` must end with the stream's last field)
    and its SHA-256 against the manifest; any mismatch raises
    :class:`~pymodel.memfile.MemFileError` or :class:`ExportError` naming the file.
    """
    mem_dir = Path(mem_dir)
    manifest = read_manifest(mem_dir)
    num_classes = int(manifest["num_classes"])
    lay = layout(num_classes)
    roms = {}
    for key, fname in ROM_FILES.items():
        entry = manifest["files"].get(key, {})
        depth = entry.get("depth")
        if key == "weights" and depth != lay.weights_depth:
            raise ExportError(
                f"{mem_dir / MANIFEST}: weights depth {depth}, expected {lay.weights_depth}"
            )
        if entry.get("width") != ROM_WIDTHS[key] or not isinstance(depth, int) or depth < 1:
            raise ExportError(
                f"{mem_dir / MANIFEST}: {key} width/depth {entry.get('width')}/{depth}, "
                f"expected {ROM_WIDTHS[key]}/a positive depth"
            )
        path = mem_dir / entry.get("file", fname)
        if "sha256" not in entry:
            raise MemFileError(f"{path}: the manifest has no sha256 for it")
        roms[key] = read_mem(path, ROM_WIDTHS[key], depth, sha256=entry["sha256"])
    try:
        return unpack_params(
            roms,
            num_classes,
            int(manifest["score_shift"]),
            manifest.get("class_names", ()),
            manifest.get("model_name", ""),
        )
    except PackingError as exc:
        raise ExportError(f"{mem_dir / ROM_FILES['thresholds']}: {exc}") from exc


load_golden_from_mem = load_params


def thresholds_depth(mem_dir: str | os.PathLike[str]) -> int:
    """Words of ``thresholds.mem`` in an exported directory: ``ecg_bnn_top``'s THRESHOLDS_DEPTH."""
    mem_dir = Path(mem_dir)
    depth = read_manifest(mem_dir)["files"]["thresholds"]["depth"]
    if not isinstance(depth, int) or depth < 2:
        raise ExportError(f"{mem_dir / MANIFEST}: thresholds depth {depth!r}")
    return depth


# ----------------------------------------------------------------------------- CLI


def default_checkpoints() -> list[Path]:
    """The committed checkpoints ``weights/*.pt`` (sorted)."""
    return sorted((repo_root() / "weights").glob("*.pt"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options of the exporter."""
    p = argparse.ArgumentParser(
        prog="python -m pymodel.export",
        description="Fold trained binary checkpoints into $readmemh ROM images, manifest.json and "
        "ecg_bnn_params.svh under <out-root>/<name>/, and print the storage of each model.",
    )
    p.add_argument(
        "checkpoints",
        nargs="*",
        type=Path,
        help="checkpoint files (default: every weights/*.pt with a binary model)",
    )
    p.add_argument(
        "--out-root",
        type=Path,
        default=repo_root() / "rtl" / "mem",
        help="parent of the per-model output directories (default: rtl/mem)",
    )
    p.add_argument(
        "--name",
        default=None,
        help="output directory name (single checkpoint only; default: file stem)",
    )
    p.add_argument(
        "--storage-only",
        action="store_true",
        help="print the storage of the exported models under --out-root and exit",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the process exit status."""
    args = parse_args(argv)
    if args.storage_only:
        for manifest in sorted(args.out_root.glob(f"*/{MANIFEST}")):
            params = load_params(manifest.parent)
            print(format_storage(storage_report(params), manifest.parent.name))
        return 0
    ckpts = args.checkpoints or default_checkpoints()
    if args.name and len(ckpts) != 1:
        raise SystemExit("--name needs exactly one checkpoint")
    if not ckpts:
        raise SystemExit("no checkpoints given and none in weights/")
    for ckpt in ckpts:
        model, _ = load_checkpoint_model(ckpt)
        if not model.binary:
            print(f"skip {ckpt}: full-precision model")
            continue
        name = args.name or ckpt.stem
        res = export_model(ckpt, args.out_root / name, name)
        print(f"{ckpt} -> {display_path(res.out_dir)} (shift s = {res.params.shift})")
        print(format_storage(res.manifest["storage"], name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "ExportError",
    "ExportResult",
    "export_model",
    "write_params",
    "load_params",
    "load_golden_from_mem",
    "thresholds_depth",
    "load_checkpoint_model",
    "storage_report",
    "format_storage",
    "render_svh",
    "main",
]
