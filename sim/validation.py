"""Reading TOML input files and turning pydantic errors into located, helpful problems."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from sim.errors import InputFileError, Problem

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*="""
)
_PART = re.compile(r""""[^"]*"|'[^']*'|[^.]+""")


def key_parts(dotted: str) -> list[str]:
    """The parts of a dotted TOML key, quotes removed: ``a."b.c"`` -> ``["a", "b.c"]``."""
    return [p.strip().strip("\"'") for p in _PART.findall(dotted) if p.strip()]


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``word``, if any is close enough to be a likely typo."""
    found = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def key_lines(text: str) -> dict[str, int]:
    """Map dotted key paths of a TOML text to the line that defines them.

    No TOML parser exposes positions, so a line scanner maps ``[table]`` headers and
    ``key =`` lines; good enough to point a user at the right line of a hand-written file.
    The keys of entry ``i`` (from 0) of an array of tables ``[[name]]`` are ``name.i.key``.
    """
    lines: dict[str, int] = {}
    table: list[str] = []
    arrays: dict[str, int] = {}  # entries seen of each [[array of tables]]
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        if header:
            table = key_parts(header.group(1))
            lines.setdefault(".".join(table), number)
            if raw.lstrip().startswith("[["):  # entry i of an array: keys "name.i.key"
                index = arrays.get(".".join(table), 0)
                arrays[".".join(table)] = index + 1
                table = [*table, str(index)]
                lines.setdefault(".".join(table), number)
            continue
        key = _KEY.match(raw)
        if key:
            lines.setdefault(".".join([*table, *key_parts(key.group(1))]), number)
    return lines


def line_of(lines: dict[str, int], key: str) -> int | None:
    """Line of ``key`` or of its nearest enclosing table."""
    parts = key_parts(key)
    while parts:
        joined = ".".join(parts)
        if joined in lines:
            return lines[joined]
        parts.pop()
    return None


# Limits on what an input file may hold: a hand-written scenario is a few kilobytes with tables
# two levels deep, so anything far beyond is a wrong file (or a hostile one) and is refused
# before it can exhaust memory, the parser's recursion or a later message.
MAX_INPUT_BYTES = 1_000_000  # 1 MB: the largest catalogue file is 80 kB, a scenario ~2 kB
MAX_TOML_DEPTH = 16  # nested tables/arrays; the catalogue needs 3, a scenario 2
_BOMS = (
    (b"\xef\xbb\xbf", "a UTF-8 byte-order mark; save it as UTF-8 without BOM"),
    (b"\xff\xfe", "a UTF-16 byte-order mark (UTF-16 text); save it as UTF-8"),
    (b"\xfe\xff", "a UTF-16 byte-order mark (UTF-16 text); save it as UTF-8"),
)


def _read_bytes(path: Path, error: type[InputFileError], limit: int) -> bytes:
    """The file's bytes; a missing, special, unreadable or oversized file raises ``error``."""

    def fail(message: str) -> InputFileError:
        return error(str(path), [Problem("", message)])

    try:
        if path.is_dir():
            raise fail("is a directory, expected a .toml file")
        if not path.exists():
            raise fail("file not found")
        if not path.is_file():  # a FIFO, a device (/dev/zero), a socket: never read
            raise fail("is not a regular file (a device, pipe or socket); expected a .toml file")
        if path.stat().st_size > limit:
            raise fail(f"is {path.stat().st_size:,} bytes; expected at most {limit:,} bytes")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # the file may grow between stat and read
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise fail(f"is more than {limit:,} bytes; expected at most {limit:,} bytes")
    return data


def _decode(data: bytes, path: Path, error: type[InputFileError]) -> str:
    """UTF-8 text; a byte-order mark or UTF-16 is named, not reported as bad syntax."""
    zeros = data.count(0) >= len(data) // 4  # UTF-16 of ASCII keys: every other byte is 0
    for bom, what in _BOMS:
        if data.startswith(bom) and (zeros or bom == _BOMS[0][0]):
            raise error(str(path), [Problem("", f"the file starts with {what}", line=1)])
    if len(data) >= 2 and (data[0] == 0 or data[1] == 0):
        raise error(str(path), [Problem("", "looks like UTF-16 text (zero bytes between "
                                            "characters); save it as UTF-8", line=1)])  # fmt: skip
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(str(path), [Problem("", f"not UTF-8 text ({exc.reason})", line=line)]) from None


def depth(value: Any) -> int:
    """Nesting depth of parsed data: 0 for a scalar, 1 for a flat table or array."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def read_toml(
    path: Path, error: type[InputFileError], max_bytes: int = MAX_INPUT_BYTES
) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse a TOML file; a missing, special, oversized, mis-encoded or malformed file (or one
    nested deeper than :data:`MAX_TOML_DEPTH`) raises ``error`` naming the file."""
    text = _decode(_read_bytes(path, error, max_bytes), path, error)
    too_deep = Problem("", f"nested more than {MAX_TOML_DEPTH} levels deep (tables or arrays); "
                           "expected a flat file of keys and [tables]")  # fmt: skip
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        match = re.search(r"at line (\d+)", msg)
        line = int(match.group(1)) if match else None
        raise error(str(path), [Problem("", f"malformed TOML: {msg}", line=line)]) from None
    except RecursionError:
        raise error(str(path), [too_deep]) from None
    if depth(data) > MAX_TOML_DEPTH:
        raise error(str(path), [too_deep])
    return data, key_lines(text)


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the sub-model reached by following ``loc`` (without its last item)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):  # an item of a list: its element type
            args = get_args(current)
            current = args[0] if args else None
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return []
        annotation = fields[part].annotation
        current = annotation
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def problems_from(
    exc: ValidationError, model: type[BaseModel], lines: dict[str, int]
) -> list[Problem]:
    """Translate every pydantic error into a :class:`Problem` with a key path and a line."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            where = ".".join(str(p) for p in loc[:-1])
            allowed = _fields_at(model, loc)
            label = f"unknown key in [{where}]" if where else "unknown key or section"
            message = f"{label}; expected one of: {', '.join(allowed)}" if allowed else label
            out.append(Problem(key, message, line_of(lines, key), suggest(str(loc[-1]), allowed)))
        elif kind == "missing":
            out.append(Problem(key, "required key is missing", line_of(lines, key)))
        else:
            got = f" (got {_show(err['input'])})" if "input" in err else ""
            out.append(Problem(key, f"{err['msg']}{got}", line_of(lines, key)))
    return out
