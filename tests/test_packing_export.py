"""ROM bit layouts, the strict .mem reader, the exporter and the export -> load round trip."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from golden_fixtures import random_model, real_windows

from pymodel import export, golden, packing
from pymodel.fold import fold_model
from pymodel.memfile import MemFileError, format_mem, read_mem, write_mem

REPO = Path(__file__).resolve().parent.parent


def test_layout_matches_contract():
    lay5, lay17 = packing.layout(5), packing.layout(17)
    assert [ll.wpr for ll in lay5.layers] == [1, 4, 7, 14, 14, 28]
    assert [ll.wbase for ll in lay5.layers] == [0, 8, 72, 296, 744, 1640]
    assert [ll.tbase for ll in lay5.layers] == [0, 8, 24, 56, 88, None]
    assert (lay5.weights_depth, lay5.thresholds_depth, lay5.scores_depth) == (1780, 152, 5)
    assert (lay17.weights_depth, lay17.thresholds_depth, lay17.scores_depth) == (2116, 152, 17)


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
        ("thresholds", packing.THR_WORD_W, 152),
        ("scores", 64, 5),
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
    assert "`define ECG_BNN_TROM_DEPTH 152" in svh and "`define ECG_BNN_TBASE_5 88" in svh
    assert f"`define ECG_BNN_SCORE_SHIFT {exported.params.shift}" in svh


def test_storage_report():
    r5, r17 = export.storage_report(5), export.storage_report(17)
    assert r5["binary_weight_bytes"] == 3535 and r17["binary_weight_bytes"] == 4207
    assert r5["rom_total_bits"] == 1780 * 16 + 152 * 49 + 5 * 64
    assert r17["rom_total_bits"] == 2116 * 16 + 152 * 49 + 17 * 64
    assert r5["paper_kb"] == 3.76 and r17["paper_kb"] == 4.45
    assert "3535 B" in export.format_storage(r5)


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
    corrupt(d / "scores.mem", lambda ls: [ls[1], ls[0]] + ls[2:])  # still well formed
    with pytest.raises(MemFileError, match=r"scores.mem: sha256 .* does not match"):
        export.load_params(d)
    d2 = copy_dir(exported.out_dir, tmp_path / "copy2")
    manifest = json.loads((d2 / "manifest.json").read_text())
    manifest["files"]["weights"]["depth"] = 1779
    (d2 / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(export.ExportError, match="weights width/depth"):
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


@pytest.mark.parametrize("name", ["bnn5_paper", "bnn5_interpatient", "bnn17"])
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
    result = json.loads(out.read_text())["protocols"]["paper"]
    assert result["test_windows"] == 40 and result["agreement"] >= 0.95
    export.export_model(ckpt, tmp_path / "mem" / "bnn5_paper", name="bnn5_paper")
    cmd = [
        sys.executable,
        str(REPO / "scripts" / "doc_numbers.py"),
        "--mem-root",
        str(tmp_path / "mem"),
        "--agreement",
        str(out),
    ]
    text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    assert "| `bnn5_paper` | 5 |" in text and "%" in text
