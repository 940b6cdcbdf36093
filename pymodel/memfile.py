"""Write and strictly parse ``$readmemh`` ROM images (``.mem``).

Format: one word per line, exactly ``depth`` lines, exactly ``ceil(width/4)`` lower-case hex digits
per line, ``\\n`` line ends (the last line too), no comments, no address markers, no blank lines.
The parser accepts upper-case digits but nothing else outside that format, and every error names
the file and the 1-based line. Public API: :func:`hex_digits`, :func:`format_mem`,
:func:`write_mem`, :func:`read_mem`, :func:`sha256_file`, :class:`MemFileError`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

HEX_CHARS = frozenset("0123456789abcdefABCDEF")


class MemFileError(ValueError):
    """A malformed ``.mem`` file; the message names the file and line."""


def hex_digits(width: int) -> int:
    """Hex digits per line for a ``width``-bit word."""
    if width <= 0:
        raise ValueError(f"word width must be positive, got {width}")
    return -(-width // 4)


def format_mem(words: Sequence[int], width: int) -> str:
    """The ``.mem`` text of ``words`` (each ``0 <= w < 2^width``)."""
    digits = hex_digits(width)
    lines = []
    for i, w in enumerate(words):
        w = int(w)
        if not 0 <= w < (1 << width):
            raise MemFileError(f"word {i} = {w:#x} does not fit {width} bits unsigned")
        lines.append(f"{w:0{digits}x}\n")
    return "".join(lines)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_mem(path: str | os.PathLike[str], words: Sequence[int], width: int) -> str:
    """Write ``words`` as a ``$readmemh`` image; returns the file's SHA-256."""
    text = format_mem(words, width)
    Path(path).write_bytes(text.encode("ascii"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def parse_line(line: str, width: int, where: str) -> int:
    """Parse one line (without its newline) of a ``width``-bit image."""
    digits = hex_digits(width)
    if not line:
        raise MemFileError(f"{where}: empty line")
    bad = sorted(set(line) - HEX_CHARS)
    if bad:
        raise MemFileError(f"{where}: non-hex character(s) {''.join(bad)!r} in {line!r}")
    if len(line) != digits:
        raise MemFileError(f"{where}: {len(line)} hex digits, expected {digits} ({width}-bit)")
    value = int(line, 16)
    if value >> width:
        raise MemFileError(f"{where}: value 0x{line} is wider than {width} bits")
    return value


def read_mem(
    path: str | os.PathLike[str], width: int, depth: int, sha256: str | None = None
) -> list[int]:
    """Parse a ``.mem`` image strictly; check its depth and (when given) its SHA-256.

    Raises :class:`MemFileError` naming the file (and line) on a checksum mismatch, a non-ASCII
    byte, a carriage return, an empty or malformed line, a word wider than ``width`` bits, or a
    line count other than ``depth``.
    """
    path = Path(path)
    data = path.read_bytes()
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256.lower():
        raise MemFileError(
            f"{path}: sha256 {hashlib.sha256(data).hexdigest()} does not match "
            f"the manifest's {sha256}"
        )
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MemFileError(f"{path}:{line}: non-ASCII byte") from exc
    if "\r" in text:
        raise MemFileError(f"{path}:{text[: text.index(chr(13))].count(chr(10)) + 1}: CR line end")
    if text and not text.endswith("\n"):
        raise MemFileError(f"{path}:{text.count(chr(10)) + 1}: last line has no newline")
    lines = text.split("\n")[:-1] if text else []
    words = [parse_line(line, width, f"{path}:{i + 1}") for i, line in enumerate(lines)]
    if len(words) != depth:
        raise MemFileError(f"{path}: {len(words)} lines, expected depth {depth}")
    return words
