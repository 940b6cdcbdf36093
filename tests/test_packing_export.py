"""ROM bit layouts, the strict .mem reader, the exporter and the export -> load round trip."""

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest
from golden_fixtures import random_model, real_windows

from pymodel import export, golden, packing
from pymodel.fold import fold_model
from pymodel.memfile import MemFileError, format_mem, read_mem, write_mem
from pymodel.shipped import shipped_names

REPO = Path(__file__).resolve().parent.parent


def test_layout_matches_contract():
    lay5, lay17 = packing.layout(5), packing.layout(17)
    assert [ll.wpr for ll in lay5.layers] == [1, 4, 7, 14, 14, 28]
    assert [ll.wbase for ll in lay5.layers] == [0, 8, 72, 296, 744, 1640]
    assert [ll.tbase for ll in lay5.layers] == [0, 8, 24, 56, 88, None]
    assert (lay5.weights_depth, lay5.thresholds_depth) == (1780, 152)
    assert (lay17.weights_depth, lay17.thresholds_depth) == (2116, 152)


def test_weight_row_bit_order():
    bits = np.zeros((7, 8), np.uint8)
    bits[1, 3] = 1  # r = k*C_in + ci = 11 -> word 0 bit 11
    bits[6, 7] = 1  # r = 55 -> word 3 bit 7
    assert packing.pack_row(bits, 4) == [0x0800, 0, 0, 0x0080]
    assert np.array_equal(packing.unpack_row([0x0800, 0, 0, 0x0080], 8), bits)
    one = np.zeros((7, 1), np.uint8)
    one[0, 0] = one[6, 0] = 1
    assert packing.pack_row(one, 1) == [0x41]
    with pytest.raises(packing.PackingError, match="non-zero bits"):
        packing.unpack_row([0x80], 1)  # bit 7 is beyond the 7 weights of a block-1 row


def test_threshold_and_score_words():
    assert (
        packing.pack_threshold_word(1, -1, 0) == 0x1_FFFFFF_000000
    )  # {inv, hi, lo}, 24-bit fields
    assert packing.pack_threshold_word(0, 30, golden.THR_NEVER_LO) == (30 << 24) | 0x800000
    for fields in [(1, -1, 0), (0, golden.THR_NEVER_HI, golden.THR_NEVER_LO), (1, -5, 7)]:
        assert packing.unpack_threshold_word(packing.pack_threshold_word(*fields)) == fields
    with pytest.raises(packing.PackingError, match="hi"):
        packing.pack_threshold_word(0, 1 << 23, 0)
    assert packing.pack_score_word(1, -1, -2) == 0xFFFFFFFE_FFFF_0001
    for fields in [(1, -1, -2), (-32768, 32767, 2**31 - 1), (0, 0, -(2**31))]:
        assert packing.unpack_score_word(packing.pack_score_word(*fields)) == fields
    with pytest.raises(packing.PackingError, match="A"):
        packing.pack_score_word(1 << 15, 0, 0)


def test_stream_fields_and_bit_order():
    """Fields MSB first, stream bit i at bit i % 16 of word i / 16; width 0 holds 0."""
    w = packing.BitWriter()
    w.put(0b101, 3, False, "a")
    w.put(-2, 2, True, "b")  # 0b10
    w.put(0, 0, True, "c")
    w.put(0xABCD, 16, False, "d")
    bits = [1, 0, 1, 1, 0] + [(0xABCD >> i) & 1 for i in range(15, -1, -1)]
    assert w.bits == bits
    assert w.words() == [
        sum(b << i for i, b in enumerate(bits[:16])),
        sum(b << i for i, b in enumerate(bits[16:])),  # 21 bits: zero-padded second word
    ]
    r = packing.BitReader(w.words())
    assert (r.get(3, False, "a"), r.get(2, True, "b"), r.get(0, True, "c")) == (5, -2, 0)
    assert r.get(16, False, "d") == 0xABCD
    with pytest.raises(packing.PackingError, match="ends inside e"):
        r.get(12, False, "e")
    with pytest.raises(packing.PackingError, match="width 0"):
        packing.BitWriter().put(1, 0, False, "z")
    assert [packing.signed_bits(v) for v in (0, 1, -1, 2, -2, 127, -128, 128)] == [
        0,
        2,
        1,
        3,
        2,
        8,
        8,
        9,
    ]


def test_stream_minimal_widths_and_never():
    """Bases are the smallest value minus one; field 0 is never; constant channels cost 0 bits."""
    params = fold_model(random_model(5, 0))
    t = params.thresholds
    blocks = list(t)
    never = golden.Thresholds(
        hi=np.full(16, golden.THR_NEVER_HI), lo=np.full(16, golden.THR_NEVER_LO),
        inv=np.arange(16, dtype=np.uint8) % 2,
    )  # fmt: skip
    blocks[1] = never
    params = dataclasses.replace(params, thresholds=tuple(blocks))
    fmt = packing.stream_format(params)
    assert (fmt.blocks[1].hw, fmt.blocks[1].lw, fmt.blocks[1].iw, fmt.blocks[1].bw) == (0, 0, 1, 0)
    for f, th in zip(fmt.blocks, params.thresholds, strict=True):
        used = th.hi[th.hi != golden.THR_NEVER_HI]
        if used.size:
            assert f.hbase == used.min() - 1 and (used.max() - f.hbase) >> f.hw == 0
            assert (used.max() - f.hbase) >> (f.hw - 1) == 1  # one bit less would not do
    words = packing.pack_stream(params)
    assert len(words) == fmt.words == -(-fmt.bits // 16)
    back, a, b, c = packing.unpack_stream(words, 5)
    for x, y in zip(back, params.thresholds, strict=True):
        assert np.array_equal(x.hi, y.hi) and np.array_equal(x.lo, y.lo)
        assert np.array_equal(x.inv, y.inv)
    assert np.array_equal(a, params.score_a) and np.array_equal(c, params.score_c)


def test_malformed_stream_is_rejected():
    params = fold_model(random_model(5, 0))
    words = packing.pack_stream(params)
    with pytest.raises(packing.PackingError, match="fields end in word"):
        packing.unpack_stream(words + [0], 5)
    with pytest.raises(packing.PackingError, match="stream ends inside"):
        packing.unpack_stream(words[:-2], 5)
    pad = 16 * len(words) - packing.stream_format(params).bits
    if pad:
        with pytest.raises(packing.PackingError, match="non-zero padding"):
            packing.unpack_stream(words[:-1] + [words[-1] | 1 << 15], 5)
    with pytest.raises(packing.PackingError, match="more than 24"):
        packing.unpack_stream([0xFFFF] + words[1:], 5)  # HW = 31
    with pytest.raises(packing.PackingError, match="16-bit word"):
        packing.unpack_stream([1 << 16] + words[1:], 5)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("mem") / "rand5"
    res = export.export_model(random_model(5, 0), out, name="rand5", class_names=tuple("NSVFQ"))
    return res


def test_export_round_trip(exported):
    params = fold_model(random_model(5, 0))
    loaded = export.load_golden_from_mem(exported.out_dir)
    assert loaded.equal(params) and loaded.class_names == tuple("NSVFQ")
    x = real_windows()
    a, b = golden.run_batch(params, x), golden.run_batch(loaded, x)
    assert np.array_equal(a.pred, b.pred) and np.array_equal(a.scores, b.scores)


def test_export_files_and_manifest(exported):
    out = exported.out_dir
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["num_classes"] == 5 and manifest["score_shift"] == exported.params.shift
    for key, width, depth in [
        ("weights", 16, 1780),
        ("thresholds", 16, packing.stream_format(exported.params).words),
    ]:
        entry = manifest["files"][key]
        assert (entry["width"], entry["depth"], entry["hex_digits"]) == (
            width,
            depth,
            -(-width // 4),
        )
        lines = (out / entry["file"]).read_text().split("\n")
        assert lines[-1] == "" and len(lines) == depth + 1
        assert all(re.fullmatch(f"[0-9a-f]{{{entry['hex_digits']}}}", ln) for ln in lines[:-1])
    assert manifest["source"]["state_dict_sha256"]
    assert [ll["wbase"] for ll in manifest["layers"]] == [0, 8, 72, 296, 744, 1640]
    svh = (out / "ecg_bnn_params.svh").read_text()
    assert "`define ECG_BNN_NUM_CLASSES 5" in svh and "`define ECG_BNN_WBASE_6 1640" in svh
    depth = manifest["files"]["thresholds"]["depth"]
    assert f"`define ECG_BNN_TROM_DEPTH {depth}" in svh and "`define ECG_BNN_TBASE_5 88" in svh
    assert export.thresholds_depth(out) == depth and "SROM" not in svh
    assert f"`define ECG_BNN_SCORE_SHIFT {exported.params.shift}" in svh


def test_storage_report(exported):
    r5 = export.storage_report(exported.params)
    assert r5["binary_weight_bytes"] == 3535 and r5["paper_kb"] == 3.76
    fmt = packing.stream_format(exported.params)
    assert r5["rom_bits"] == {"weights": 1780 * 16, "thresholds": fmt.words * 16}
    assert sum(it["bits"] for it in r5["items"]) == r5["rom_total_bits"]
    assert r5["rom_total_bytes"] == -(-r5["rom_total_bits"] // 8)
    assert {it["rom"] for it in r5["items"]} == {"weights", "thresholds"}
    assert r5["outside_roms_bits"] == 0  # every format constant is in the stream's headers
    text = export.format_storage(r5)
    assert "3535 B" in text and "block 1 header" in text and "padding to a whole word" in text


# the targets for the ROM images as built (paper: 3.76 KB / 4.45 KB)
STORAGE_TARGET_BYTES = {5: 3850, 17: 4557}


@pytest.mark.parametrize("name", shipped_names())
def test_shipped_storage_within_target(name):
    """Every shipped model's ROM images, as built, fit the target; the manifest adds up."""
    manifest = json.loads((REPO / "rtl" / "mem" / name / "manifest.json").read_text())
    st = manifest["storage"]
    built = sum(f["width"] * f["depth"] for f in manifest["files"].values())
    assert built == st["rom_total_bits"] == sum(it["bits"] for it in st["items"])
    assert set(manifest["files"]) == {"weights", "thresholds"}
    assert st["rom_total_bytes"] <= STORAGE_TARGET_BYTES[manifest["num_classes"]], st


def copy_dir(src, dst):
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def corrupt(path, edit):
    lines = path.read_text().split("\n")[:-1]
    path.write_text("\n".join(edit(lines)) + "\n")


@pytest.mark.parametrize(
    "name,edit,message",
    [
        ("extra line", lambda ls: ls + [ls[-1]], r"153 lines, expected depth 152"),
        ("missing line", lambda ls: ls[:-1], r"151 lines, expected depth 152"),
        ("too many digits", lambda ls: ["0" + ls[0]] + ls[1:], r":1: 12 hex digits, expected 11"),
        ("too few digits", lambda ls: ls[:4] + [ls[4][1:]] + ls[5:], r":5: 10 hex digits"),
        ("value too wide", lambda ls: ls[:2] + ["2" + ls[2][1:]] + ls[3:], r":3: value .* wider"),
        ("non-hex", lambda ls: ls[:7] + ["0000000000g"] + ls[8:], r":8: non-hex character"),
        ("comment", lambda ls: ["// x"] + ls[1:], r":1: non-hex"),
        ("empty line", lambda ls: ls[:9] + [""] + ls[10:], r":10: empty line"),
    ],
)
def test_malformed_mem_is_rejected(tmp_path, name, edit, message):
    src = tmp_path / "t.mem"
    write_mem(src, list(range(152)), 41)
    corrupt(src, edit)
    with pytest.raises(MemFileError, match=message) as info:
        read_mem(src, 41, 152)
    assert str(src) in str(info.value)


def test_line_end_and_encoding_rejections(tmp_path):
    path = tmp_path / "x.mem"
    path.write_bytes(b"0001\r\n0002\r\n")
    with pytest.raises(MemFileError, match=r"x.mem:1: CR"):
        read_mem(path, 16, 2)
    path.write_bytes(b"0001\n0002")
    with pytest.raises(MemFileError, match=r"x.mem:2: last line has no newline"):
        read_mem(path, 16, 2)
    path.write_bytes(b"0001\n00\xe92\n")
    with pytest.raises(MemFileError, match=r"x.mem:2: non-ASCII"):
        read_mem(path, 16, 2)
    path.write_bytes(b"0001\n00A2\n")
    assert read_mem(path, 16, 2) == [1, 0xA2]
    with pytest.raises(MemFileError, match="does not fit"):
        format_mem([1 << 16], 16)


def test_checksum_and_manifest_mismatch(exported, tmp_path):
    d = copy_dir(exported.out_dir, tmp_path / "copy")
    corrupt(d / "thresholds.mem", lambda ls: [ls[1], ls[0]] + ls[2:])  # still well formed
    with pytest.raises(MemFileError, match=r"thresholds.mem: sha256 .* does not match"):
        export.load_params(d)
    d2 = copy_dir(exported.out_dir, tmp_path / "copy2")
    manifest = json.loads((d2 / "manifest.json").read_text())
    manifest["files"]["weights"]["depth"] = 1779
    (d2 / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(export.ExportError, match="weights depth 1779"):
        export.load_params(d2)
    (d2 / "manifest.json").write_text("{")
    with pytest.raises(export.ExportError, match="cannot read manifest"):
        export.load_params(d2)


def test_malformed_file_inside_export_names_file_and_line(exported, tmp_path):
    d = copy_dir(exported.out_dir, tmp_path / "copy")
    corrupt(d / "weights.mem", lambda ls: ls[:99] + ["12345"] + ls[100:])
    manifest = json.loads((d / "manifest.json").read_text())
    from pymodel.memfile import sha256_file

    manifest["files"]["weights"]["sha256"] = sha256_file(d / "weights.mem")
    (d / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(MemFileError, match=r"weights.mem:100: 5 hex digits, expected 4"):
        export.load_params(d)


def test_broken_stream_inside_export_names_file(exported, tmp_path):
    """A well-formed thresholds.mem whose stream is broken (checksum updated) is rejected."""
    from pymodel.memfile import sha256_file

    for name, edit, message in [
        ("truncated", lambda ls: ls[:-3], "stream ends inside"),
        ("extra word", lambda ls: ls + ["0000"], "fields end in word"),
        ("wide field", lambda ls: ["ffff"] + ls[1:], "more than 24"),
    ]:
        d = copy_dir(exported.out_dir, tmp_path / name.replace(" ", "_"))
        corrupt(d / "thresholds.mem", edit)
        manifest = json.loads((d / "manifest.json").read_text())
        manifest["files"]["thresholds"]["sha256"] = sha256_file(d / "thresholds.mem")
        manifest["files"]["thresholds"]["depth"] = len((d / "thresholds.mem").read_text().split())
        (d / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(export.ExportError, match=rf"thresholds.mem: .*{message}"):
            export.load_params(d)


@pytest.mark.parametrize("name", shipped_names())
def test_committed_export_matches_committed_weights(name, tmp_path):
    """Re-exporting a shipped checkpoint gives the shipped ROM files, byte for byte."""
    ckpt, mem = REPO / "weights" / f"{name}.pt", REPO / "rtl" / "mem" / name
    res = export.export_model(ckpt, tmp_path / name, name)
    assert export.load_params(mem).equal(res.params)
    for key, fname in export.ROM_FILES.items():
        assert (mem / fname).read_bytes() == (tmp_path / name / fname).read_bytes(), key
    assert (mem / export.SVH).read_text() == (tmp_path / name / export.SVH).read_text()


def test_scripts_run_on_a_random_checkpoint(tmp_path):
    """check_golden.py and doc_numbers.py work end to end on any checkpoint."""
    import subprocess
    import sys

    import torch

    from pymodel.datasets import mitdb_dir

    mitdb_dir()  # check_golden.py reads the held-out split (DataUnavailable: skipped without it)

    model = random_model(5, 0)
    ckpt = tmp_path / "rand5.pt"
    torch.save(
        {
            "state_dict": model.state_dict(),
            "num_classes": 5,
            "binary": True,
            "protocol": "paper",
            "class_names": list("NSVFQ"),
        },
        ckpt,
    )
    out = tmp_path / "agree.json"
    cmd = [
        sys.executable,
        str(REPO / "scripts" / "check_golden.py"),
        "--checkpoint",
        str(ckpt),
        "--limit",
        "40",
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    result = json.loads(out.read_text())["models"]["rand5"]
    assert result["protocol"] == "paper"
    assert result["test_windows"] == 40 and result["agreement"] >= 0.95
    export.export_model(ckpt, tmp_path / "mem" / "rand5", name="rand5")
    cmd = [
        sys.executable,
        str(REPO / "scripts" / "doc_numbers.py"),
        "--mem-root",
        str(tmp_path / "mem"),
        "--agreement",
        str(out),
    ]
    text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    row = next(line for line in text.splitlines() if line.startswith("| `rand5` | 5 |"))
    assert f"| {100 * result['agreement']:.2f} % |" in row
