"""Reading TOML input files and turning pydantic errors into located, helpful problems."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import InputFileError, Problem

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-.]+)\s*=""")


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``word``, if any is close enough to be a likely typo."""
    found = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def key_lines(text: str) -> dict[str, int]:
    """Map dotted key paths of a TOML text to the line that defines them.

    No TOML parser exposes positions, so a line scanner maps ``[table]`` headers and
    ``key =`` lines; good enough to point a user at the right line of a hand-written file.
    """
    lines: dict[str, int] = {}
    table: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        if header:
            table = [part.strip().strip("\"'") for part in header.group(1).split(".")]
            lines.setdefault(".".join(table), number)
            continue
        key = _KEY.match(raw)
        if key:
            parts = [p.strip().strip("\"'") for p in key.group(1).split(".")]
            lines.setdefault(".".join([*table, *parts]), number)
    return lines


def line_of(lines: dict[str, int], key: str) -> int | None:
    """Line of ``key`` or of its nearest enclosing table."""
    parts = key.split(".")
    while parts:
        joined = ".".join(parts)
        if joined in lines:
            return lines[joined]
        parts.pop()
    return None


def read_toml(path: Path, error: type[InputFileError]) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse a TOML file; a missing file or bad syntax raises ``error`` naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(str(path), [Problem("", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise error(str(path), [Problem("", f"not UTF-8 text ({exc.reason})")]) from None
    except IsADirectoryError:
        raise error(str(path), [Problem("", "is a directory, expected a .toml file")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        match = re.search(r"at line (\d+)", msg)
        line = int(match.group(1)) if match else None
        raise error(str(path), [Problem("", f"malformed TOML: {msg}", line=line)]) from None
    return data, key_lines(text)


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the sub-model reached by following ``loc`` (without its last item)."""
    current: Any = model
    for part in loc[:-1]:
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
