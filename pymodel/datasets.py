"""ECG datasets: MIT-BIH 10 s windows (5 AAMI classes) and Plawiak's 17-class rhythm set.

Every window is 3600 raw ADC samples of lead MLII at 360 Hz (MIT-BIH format 212: 11-bit values,
baseline 1024, 200 units/mV), returned as ``int16``. Normalization (per-window z-score) belongs to
the model, so the float model, the integer golden model and the RTL all consume the same raw data.

Protocols (rules documented in docs/datasets.md):

- ``paper``: the 7,740 windows of the published model (43 records x 180), stratified random 80/20.
- ``interpatient``: the same windows and labels, de Chazal DS1 records for training, DS2 for test.
- ``ecg17``: Plawiak's 1,000 ten-second fragments in 17 rhythm classes, stratified random 80/20.

The data directory comes from ``data_dir``, else ``$ECG_DATA_DIR``, else ``../shared/data`` beside
the repository when present. Nothing is downloaded implicitly: without the data a loader raises
:class:`DataUnavailable` with one line saying where to put it; ``python -m pymodel.datasets
download DIR`` fetches MIT-BIH from PhysioNet on request (the 17-class set has no download).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np

WINDOW = 3600
AAMI_CLASSES = ("N", "S", "V", "F", "Q")
AAMI_MAP = {
    **dict.fromkeys("NLRej", "N"),
    **dict.fromkeys("AaJS", "S"),
    **dict.fromkeys("VE", "V"),
    "F": "F",
    **dict.fromkeys("/fQ", "Q"),
}
# Non-beat annotations that the published generator ignores when labelling a window.
IGNORED_SYMBOLS = frozenset('[]!x|~+"')
PACED_RECORDS = ("102", "104", "107", "217")
ALL_RECORDS = (
    "100 101 102 103 104 105 106 107 108 109 111 112 113 114 115 116 117 118 119 121 122 123 "
    "124 200 201 202 203 205 207 208 209 210 212 213 214 215 217 219 220 221 222 223 228 230 "
    "231 232 233 234"
).split()
# de Chazal et al. 2004, inter-patient split (paced records excluded).
DS1_RECORDS = (
    "101 106 108 109 112 114 115 116 118 119 122 124 201 203 205 207 208 209 215 220 223 230"
).split()
DS2_RECORDS = (
    "100 103 105 111 113 117 121 123 200 202 210 212 213 214 219 221 222 228 231 232 233 234"
).split()
ECG17_CLASSES = (
    "NSR APB AFL AFIB SVTA WPW PVC Bigeminy Trigeminy VT IVR VFL Fusion LBBBB RBBBB SDHB PR"
).split()
PROTOCOLS = ("paper", "interpatient", "ecg17")


class DatasetError(RuntimeError):
    """A record or fragment is missing, unreadable or malformed."""


class DataUnavailable(DatasetError):
    """The database is not on this machine (tests that need it skip on this error)."""


MITDB_HOWTO = (
    "set ECG_DATA_DIR to a folder holding mitdb/ (MIT-BIH Arrhythmia Database 1.0.0, PhysioNet), "
    "or fetch it with: python -m pymodel.datasets download DIR"
)
ECG17_HOWTO = (
    "set ECG_DATA_DIR to a folder holding ecg17/MLII/ ('ECG signals (1000 fragments)', Plawiak, "
    "Mendeley Data, doi:10.17632/7dybx7wyfn.3)"
)


@dataclass
class DatasetSplit:
    """Train and held-out test windows of one protocol (raw ADC samples, int16)."""

    protocol: str
    class_names: tuple[str, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    test_ids: list[str]
    train_ids: list[str] = field(default_factory=list)  # 'record:k' (empty: not recorded)

    @property
    def num_classes(self) -> int:
        """Number of classes of the protocol."""
        return len(self.class_names)


def repo_root() -> Path:
    """Return the repository root (the parent of the ``pymodel`` package)."""
    return Path(__file__).resolve().parent.parent


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """Pick the data directory: argument, ``$ECG_DATA_DIR``, ``../shared/data``, else None."""
    if data_dir:
        return Path(data_dir).expanduser().resolve()
    env = os.environ.get("ECG_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    shared = repo_root().parent / "shared" / "data"
    return shared.resolve() if shared.is_dir() else None


def mitdb_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the directory holding the MIT-BIH records (raises :class:`DataUnavailable`)."""
    base = resolve_data_dir(data_dir)
    if base is None:
        raise DataUnavailable(f"MIT-BIH data not found: {MITDB_HOWTO}")
    for candidate in (base / "mitdb", base):
        if (candidate / "100.hea").is_file():
            return candidate
    raise DataUnavailable(f"no MIT-BIH records (100.hea ...) in {base}: {MITDB_HOWTO}")


def _wfdb() -> ModuleType:
    """The wfdb package, imported on first use: it pulls in pandas and scipy (0.4 s), and every
    simulator process of the testbenches imports this module for its constants only."""
    import wfdb

    return wfdb


def download_mitdb(directory: str | os.PathLike[str]) -> Path:
    """Download the MIT-BIH Arrhythmia Database from PhysioNet into ``directory/mitdb``."""
    target = Path(directory).expanduser().resolve() / "mitdb"
    target.mkdir(parents=True, exist_ok=True)
    _wfdb().dl_database("mitdb", str(target))
    return target


def read_record(directory: Path, record: str, lead: str = "MLII") -> np.ndarray:
    """Read one record's raw ``lead`` samples (int16 ADC units).

    Raises :class:`DatasetError` naming the record when it is missing, corrupt or lacks the lead.
    """
    path = directory / record
    try:
        rec = _wfdb().rdrecord(str(path), physical=False)
    except Exception as exc:  # wfdb raises many types for missing or corrupt files
        raise DatasetError(f"MIT-BIH record {record} in {directory}: {exc}") from exc
    if lead not in rec.sig_name:
        raise DatasetError(f"MIT-BIH record {record} has no {lead} lead ({rec.sig_name})")
    if rec.fs != 360:
        raise DatasetError(f"MIT-BIH record {record}: sampling rate {rec.fs} Hz, expected 360")
    samples = rec.d_signal[:, rec.sig_name.index(lead)]
    return samples.astype(np.int16)


def read_annotations(directory: Path, record: str) -> tuple[np.ndarray, list[str]]:
    """Return the sample positions and symbols of a record's reference ('atr') annotations."""
    try:
        ann = _wfdb().rdann(str(directory / record), "atr")
    except Exception as exc:
        raise DatasetError(f"MIT-BIH annotations {record}.atr in {directory}: {exc}") from exc
    return np.asarray(ann.sample), list(ann.symbol)


def window_label(symbols: list[str]) -> str:
    """AAMI class of a window from its annotation symbols (the published generator's rule).

    No annotation -> Q; only 'N' beats -> N; else the most frequent symbol other than 'N' and the
    ignored non-beat symbols (ties: the one that appeared first last, as the generator's dict
    scan), mapped to AAMI; when only ignored symbols remain: N if any 'N', else Q.
    """
    if not symbols:
        return "Q"
    counts: dict[str, int] = {}
    for s in symbols:
        if s != "N" and s not in IGNORED_SYMBOLS:
            counts[s] = counts.get(s, 0) + 1
    if not counts:
        return "N" if "N" in symbols else "Q"
    best = max(counts.values())
    symbol = [s for s, n in counts.items() if n == best][-1]
    if symbol not in AAMI_MAP:
        raise DatasetError(f"annotation symbol {symbol!r} has no AAMI class")
    return AAMI_MAP[symbol]


def record_windows(
    directory: Path, record: str, lead: str = "MLII"
) -> tuple[np.ndarray, list[str]]:
    """Cut a record into consecutive 10 s windows; return windows (n, 3600) and AAMI labels.

    A window ``k`` covers samples ``[3600k, 3600(k+1))`` and takes the annotations at samples
    ``3600k <= s <= 3600(k+1)`` (both ends inclusive, as ``wfdb.rdann(sampfrom, sampto)``).
    """
    samples = read_record(directory, record, lead)
    positions, symbols = read_annotations(directory, record)
    count = len(samples) // WINDOW
    windows = samples[: count * WINDOW].reshape(count, WINDOW)
    labels = []
    for k in range(count):
        inside = np.flatnonzero((positions >= k * WINDOW) & (positions <= (k + 1) * WINDOW))
        labels.append(window_label([symbols[i] for i in inside]))
    return windows, labels


def paper_records(directory: Path) -> list[str]:
    """The 43 records of the paper: all but the paced ones and those whose lead 0 is not MLII."""
    kept = []
    for record in ALL_RECORDS:
        if record in PACED_RECORDS:
            continue
        header = _wfdb().rdheader(str(directory / record))
        if header.sig_name[0] == "MLII":
            kept.append(record)
    return kept


def mitdb_windows(
    records: list[str], data_dir: str | os.PathLike[str] | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Windows, AAMI class indices and ids ('record:k') of the given MIT-BIH records."""
    directory = mitdb_dir(data_dir)
    xs, ys, ids = [], [], []
    for record in records:
        windows, labels = record_windows(directory, record)
        xs.append(windows)
        ys.extend(AAMI_CLASSES.index(label) for label in labels)
        ids.extend(f"{record}:{k}" for k in range(len(labels)))
    return np.concatenate(xs), np.asarray(ys, dtype=np.int64), ids


def stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified random split holding out ``round(n * test_fraction)`` windows in all.

    Each class gives ``floor(n_c * test_fraction)`` windows to test; the remaining test slots go
    to the classes with the largest remainders (ties: lower class index), so the class ratios
    match and the total is exact. The windows of each class are drawn by a seeded permutation.
    """
    rng = np.random.default_rng(seed)
    classes, sizes = np.unique(labels, return_counts=True)
    exact = sizes * test_fraction
    n_test = np.floor(exact).astype(int)
    missing = int(round(len(labels) * test_fraction)) - int(n_test.sum())
    for i in sorted(range(len(classes)), key=lambda i: (-(exact[i] - n_test[i]), i))[:missing]:
        n_test[i] += 1
    train, test = [], []
    for cls, k in zip(classes, n_test, strict=True):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        test.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def stratified_kfold(labels: np.ndarray, folds: int, seed: int) -> list[np.ndarray]:
    """Stratified ``folds``-fold assignment: the sorted test windows of every fold.

    The windows of each class are drawn by a seeded permutation and dealt round-robin over the
    folds, the first fold of each class continuing where the previous class stopped; so every
    window is in exactly one fold, each class is spread as evenly as its count allows (fold counts
    differ by at most one per class), and the fold sizes differ by at most one in all.
    """
    if folds < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, got {folds}")
    if folds > len(labels):
        raise ValueError(f"{folds} folds for {len(labels)} windows")
    rng = np.random.default_rng(seed)
    owner = np.empty(len(labels), dtype=np.int64)
    start = 0
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        owner[idx] = (start + np.arange(len(idx))) % folds
        start = (start + len(idx)) % folds
    return [np.flatnonzero(owner == f) for f in range(folds)]


def random_split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Unstratified random split of ``n`` windows, ``round(n * test_fraction)`` held out.

    The kind of split the related SEU code draws (``train_test_split`` without ``stratify``):
    the class mix of the test windows varies from seed to seed, as its reported figures do.
    """
    order = np.random.default_rng(seed).permutation(n)
    k = int(round(n * test_fraction))
    return np.sort(order[k:]), np.sort(order[:k])


def ecg17_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder that holds the 17-class ``<n> <CLASS>`` class folders (``MLII``)."""
    base = resolve_data_dir(data_dir)
    if base is None:
        raise DataUnavailable(f"17-class data not found: {ECG17_HOWTO}")
    for candidate in (base / "ecg17" / "MLII", base / "MLII", base):
        if (candidate / "1 NSR").is_dir():
            return candidate
    raise DataUnavailable(f"no 17-class folders ('1 NSR', ...) under {base}: {ECG17_HOWTO}")


def read_fragment(path: Path) -> np.ndarray:
    """Read one 17-class ``.mat`` fragment as 3600 int16 raw ADC samples."""
    try:
        from scipy.io import loadmat  # here: see _wfdb

        val = loadmat(str(path))["val"]
    except Exception as exc:
        raise DatasetError(f"17-class fragment {path}: {exc}") from exc
    val = np.asarray(val).reshape(-1)
    if val.shape != (WINDOW,) or not np.all(val == np.round(val)):
        raise DatasetError(f"17-class fragment {path}: expected 3600 integer samples")
    return val.astype(np.int16)


def ecg17_windows(
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """All 1000 fragments of the 17-class set: windows, class indices and file ids."""
    root = ecg17_dir(data_dir)
    xs, ys, ids = [], [], []
    for index, name in enumerate(ECG17_CLASSES):
        folder = root / f"{index + 1} {name}"
        files = sorted(folder.glob("*.mat"))
        if not files:
            raise DatasetError(f"17-class folder {folder} is missing or empty")
        for path in files:
            xs.append(read_fragment(path))
            ys.append(index)
            ids.append(f"{folder.name}/{path.name}")
    return np.stack(xs), np.asarray(ys, dtype=np.int64), ids


def load_split(
    protocol: str,
    data_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    stratify: bool = True,
    folds: int = 0,
    fold: int = 0,
) -> DatasetSplit:
    """Load the train / held-out test windows of ``protocol`` ('paper', 'interpatient', 'ecg17').

    ``seed`` and ``stratify`` choose the random 80/20 split of 'paper' and 'ecg17' (the shipped
    figures: seed 0, stratified); 'interpatient' has one fixed record split and takes neither.
    With ``folds`` (cross-validation, :func:`stratified_kfold` seeded by ``seed``) the test windows
    are fold ``fold`` and the training windows all the others.
    """
    if protocol == "interpatient":
        if seed != 0 or not stratify or folds:
            raise ValueError("protocol 'interpatient' has one fixed record split (DS1 / DS2)")
        x_tr, y_tr, ids_tr = mitdb_windows(DS1_RECORDS, data_dir)
        x_te, y_te, ids_te = mitdb_windows(DS2_RECORDS, data_dir)
        return DatasetSplit(protocol, AAMI_CLASSES, x_tr, y_tr, x_te, y_te, ids_te, ids_tr)
    if protocol == "paper":
        x, y, ids = mitdb_windows(paper_records(mitdb_dir(data_dir)), data_dir)
        names: tuple[str, ...] = AAMI_CLASSES
    elif protocol == "ecg17":
        x, y, ids = ecg17_windows(data_dir)
        names = tuple(ECG17_CLASSES)
    else:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {PROTOCOLS}")
    if folds:
        if not stratify:
            raise ValueError("cross-validation folds are always stratified")
        if not 0 <= fold < folds:
            raise ValueError(f"fold {fold} of {folds}: choose 0 to {folds - 1}")
        test = stratified_kfold(y, folds, seed)[fold]
        train = np.setdiff1d(np.arange(len(y)), test)
    elif stratify:
        train, test = stratified_split(y, 0.2, seed)
    else:
        train, test = random_split(len(y), 0.2, seed)
    return DatasetSplit(
        protocol, names, x[train], y[train], x[test], y[test], [ids[i] for i in test],
        [ids[i] for i in train],
    )  # fmt: skip


def save_split_npz(split: DatasetSplit, path: str | os.PathLike[str]) -> None:
    """Write a split's windows and labels to one ``.npz`` (for a machine without the database)."""
    np.savez_compressed(
        path, protocol=split.protocol, class_names=np.asarray(split.class_names),
        x_train=split.x_train, y_train=split.y_train, x_test=split.x_test, y_test=split.y_test,
        test_ids=np.asarray(split.test_ids), train_ids=np.asarray(split.train_ids),
    )  # fmt: skip


def load_split_npz(path: str | os.PathLike[str]) -> DatasetSplit:
    """Read a split written by :func:`save_split_npz`."""
    try:
        with np.load(path) as f:
            return DatasetSplit(
                str(f["protocol"]), tuple(str(c) for c in f["class_names"]),
                f["x_train"], f["y_train"], f["x_test"], f["y_test"],
                [str(i) for i in f["test_ids"]],
                [str(i) for i in f["train_ids"]] if "train_ids" in f else [],
            )  # fmt: skip
    except (OSError, KeyError, ValueError) as exc:
        raise DatasetError(f"split file {path}: {exc}") from exc


def class_counts(labels: np.ndarray, class_names: tuple[str, ...]) -> dict[str, int]:
    """Number of windows per class name."""
    return {name: int(np.sum(labels == i)) for i, name in enumerate(class_names)}


def main(argv: list[str] | None = None) -> None:
    """Print the per-class window counts of every protocol, or download MIT-BIH on request."""
    import argparse

    parser = argparse.ArgumentParser(
        description="Print the per-class window counts of each protocol (default), or download "
        "the MIT-BIH Arrhythmia Database from PhysioNet (needs a network)."
    )
    parser.add_argument("command", nargs="?", choices=("counts", "download"), default="counts")
    parser.add_argument("directory", nargs="?", help="download: the data folder (gets mitdb/)")
    parser.add_argument("--data-dir", default=None, help="data directory (else $ECG_DATA_DIR)")
    args = parser.parse_args(argv)
    if args.command == "download":
        if not args.directory:
            parser.error("download needs a DIRECTORY")
        print(
            f"downloaded into {download_mitdb(args.directory)}; set ECG_DATA_DIR={args.directory}"
        )
        return
    for protocol in PROTOCOLS:
        split = load_split(protocol, args.data_dir)
        print(f"{protocol}: train {class_counts(split.y_train, split.class_names)}")
        print(f"{protocol}: test  {class_counts(split.y_test, split.class_names)}")


if __name__ == "__main__":
    main()
