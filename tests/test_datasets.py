"""Dataset rules on the verified offline copy in ../shared/data (or $ECG_DATA_DIR)."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from pymodel import datasets as ds


def test_window_label_rules():
    assert ds.window_label([]) == "Q"
    assert ds.window_label(["N", "N"]) == "N"
    assert ds.window_label(["N", "+", "~"]) == "N"  # only ignored non-beat symbols besides N
    assert ds.window_label(["+", "~"]) == "Q"
    assert ds.window_label(["N", "V", "V", "A"]) == "V"
    assert ds.window_label(["L", "L"]) == "N"  # bundle branch block beats are AAMI N
    assert ds.window_label(["A", "V"]) == "V"  # tie: last of the first-appearance order
    assert ds.window_label(["V", "A"]) == "S"
    assert ds.window_label(["/", "f", "f"]) == "Q"
    with pytest.raises(ds.DatasetError, match="no AAMI class"):
        ds.window_label(["N", "?"])


def test_paper_protocol_counts():
    x, y, ids = ds.mitdb_windows(ds.paper_records(ds.mitdb_dir()))
    assert x.shape == (7740, 3600) and x.dtype == np.int16
    assert ds.class_counts(y, ds.AAMI_CLASSES) == {
        "N": 5186,
        "S": 545,
        "V": 1890,
        "F": 100,
        "Q": 19,
    }
    assert len(set(i.split(":")[0] for i in ids)) == 43
    assert "114:0" not in ids and "102:0" not in ids


def test_paper_split_is_stratified_and_deterministic():
    a = ds.load_split("paper", seed=0)
    b = ds.load_split("paper", seed=0)
    assert len(a.y_train) == 6192 and len(a.y_test) == 1548
    assert np.array_equal(a.y_test, b.y_test) and np.array_equal(a.x_test, b.x_test)
    for cls in range(5):
        total = np.sum(a.y_train == cls) + np.sum(a.y_test == cls)
        assert abs(np.sum(a.y_test == cls) - total * 0.2) < 1
    assert len(set(a.test_ids)) == len(a.test_ids)


def test_other_splits_stratified_or_not():
    """--split-seed draws another 80/20 split; --unstratified lets the class mix vary (SEU kind)."""
    train, test = ds.random_split(1000, 0.2, seed=3)
    assert len(test) == 200 and len(train) == 800
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(1000))
    assert np.array_equal(test, ds.random_split(1000, 0.2, seed=3)[1])
    assert not np.array_equal(test, ds.random_split(1000, 0.2, seed=4)[1])
    shipped = ds.load_split("ecg17")
    other = ds.load_split("ecg17", seed=3)
    plain = [ds.load_split("ecg17", seed=s, stratify=False) for s in (3, 4)]
    assert len(other.y_test) == len(plain[0].y_test) == 200
    assert set(other.test_ids) != set(shipped.test_ids)
    assert np.array_equal(np.bincount(other.y_test), np.bincount(shipped.y_test))  # stratified
    mixes = [np.bincount(p.y_test, minlength=17) for p in plain]
    assert not np.array_equal(mixes[0], mixes[1])  # the class mix moves with the seed
    assert all(len(p.y_train) + len(p.y_test) == 1000 for p in plain)
    with pytest.raises(ValueError, match="fixed record split"):
        ds.load_split("interpatient", seed=1)
    with pytest.raises(ValueError, match="fixed record split"):
        ds.load_split("interpatient", stratify=False)


def test_interpatient_records_are_disjoint():
    assert not set(ds.DS1_RECORDS) & set(ds.DS2_RECORDS)
    split = ds.load_split("interpatient")
    assert len(split.y_train) == 22 * 180 and len(split.y_test) == 22 * 180
    assert {i.split(":")[0] for i in split.test_ids} == set(ds.DS2_RECORDS)


def test_ecg17_counts_and_split():
    x, y, _ = ds.ecg17_windows()
    assert x.shape == (1000, 3600)
    counts = ds.class_counts(y, tuple(ds.ECG17_CLASSES))
    assert counts["NSR"] == 283 and counts["PVC"] == 133 and counts["SDHB"] == 10
    split = ds.load_split("ecg17")
    assert len(split.y_test) == 200 and split.num_classes == 17


def test_ecg17_fragment_matches_mitdb_record():
    """The 17-class fragment '1 NSR/100m (0).mat' is record 100 MLII samples 244800..248399."""
    frag = ds.read_fragment(ds.ecg17_dir() / "1 NSR" / "100m (0).mat")
    samples = ds.read_record(ds.mitdb_dir(), "100")
    assert np.array_equal(frag, samples[244800:248400])


def test_missing_record_names_it(tmp_path: Path):
    src = ds.mitdb_dir()
    for ext in ("hea", "atr"):  # the signal file 100.dat is missing
        shutil.copy(src / f"100.{ext}", tmp_path / f"100.{ext}")
    with pytest.raises(ds.DatasetError, match="record 100"):
        ds.record_windows(tmp_path, "100")


def test_corrupt_fragment_is_rejected(tmp_path: Path):
    bad = tmp_path / "bad.mat"
    bad.write_bytes(b"not a mat file")
    with pytest.raises(ds.DatasetError, match="bad.mat"):
        ds.read_fragment(bad)


def test_data_dir_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("ECG_DATA_DIR", str(tmp_path))
    assert ds.resolve_data_dir() == tmp_path.resolve()
    with pytest.raises(ds.DatasetError, match="no MIT-BIH records"):
        ds.mitdb_dir()
    assert ds.resolve_data_dir(tmp_path / "x") == (tmp_path / "x").resolve()
