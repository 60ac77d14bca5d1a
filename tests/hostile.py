"""The hostile-input corpus of ``tests/bad_scenarios/``: every file and what sim must answer.

A file declares its expectation in leading comment lines::

    # expect: 2 "did you mean" ":4:"          (exit code, then fragments of the message)
    # expect validate: 0 "below 100"          (optional: for one command only)
    # expect run: 2 "--force"

A file that cannot carry such a header (binary, UTF-16, empty) and the original files are
listed in ``expectations.txt`` in the same form: ``<file>: 2 "fragment" ...``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

BAD = Path(__file__).resolve().parent / "bad_scenarios"
TABLE = BAD / "expectations.txt"
COMMANDS = ("validate", "run")


@dataclass(frozen=True)
class Expect:
    """Exit code and message fragments of one command on one file."""

    code: int
    fragments: tuple[str, ...]


def _parse(spec: str) -> Expect:
    code, *fragments = shlex.split(spec)
    return Expect(int(code), tuple(fragments))


def _from_header(path: Path) -> dict[str, Expect]:
    """``{command: Expect}`` from a file's leading ``# expect`` lines (BOM allowed)."""
    out: dict[str, Expect] = {}
    text = path.read_bytes()[:4096].decode("utf-8", errors="replace").lstrip("\ufeff")
    for line in text.splitlines():
        if not line.startswith("# expect"):
            break
        head, spec = line[2:].split(":", 1)
        commands = COMMANDS if head.strip() == "expect" else (head.split()[1],)
        out.update(dict.fromkeys(commands, _parse(spec)))
    return out


def _from_table() -> dict[str, dict[str, Expect]]:
    out = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, spec = line.split(":", 1)
            out[name.strip()] = dict.fromkeys(COMMANDS, _parse(spec))
    return out


def corpus() -> dict[str, dict[str, Expect]]:
    """Every file of the corpus -> command -> expectation (empty when none is declared)."""
    table = _from_table()
    return {p.name: table.get(p.name) or _from_header(p) for p in sorted(BAD.glob("*.toml"))}
