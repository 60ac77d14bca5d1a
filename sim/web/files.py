"""What the server writes, and where: scenario files and chart packs, only under its folder.

The folder is given when the server starts (``sim serve --out``, default ``results/web``).
Every path is built from a validated scenario name (letters, digits, ``-``, ``_``) and checked
to resolve inside the folder before anything is written, so no request can write elsewhere.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from sim.errors import SimError
from sim.results import Result
from sim.scenario import Scenario

SCENARIOS = "scenarios"
PACKS = "packs"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be written to a scenario file")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are TOML escapes
    raise TypeError(f"cannot write {type(value).__name__} to a scenario file")


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key, ensure_ascii=False)


def scenario_toml(scenario: Scenario, header: str = "") -> str:
    """A scenario file that :func:`sim.load_scenario` reads back as the same scenario: name,
    titles, description, draws, seed, the levers away from their status quo, readings,
    assumptions and actuals (``header`` becomes comment lines at the top)."""
    spec = scenario.spec()
    lines = [f"# {line}" for line in header.splitlines()]
    for key in ("name", "title_zh", "title_en", "description", "draws", "seed"):
        if key in spec:
            lines.append(f"{key} = {_toml_value(spec[key])}")
    for table in ("levers", "readings", "assumptions"):
        if spec.get(table):
            lines += ["", f"[{table}]"]
            lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in spec[table].items()]
    for actual in spec.get("actuals", []):
        lines += ["", "[[actuals]]"]
        lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in actual.items()]
    return "\n".join(lines) + "\n"


class Outbox:
    """The server's results folder: scenario files under ``scenarios/``, chart packs under
    ``packs/<name>/``; nothing is written anywhere else."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self._drawing = threading.Lock()  # one pack at a time: matplotlib's style is global

    def inside(self, *parts: str) -> Path:
        """``root/parts…``, refused (SimError) unless it resolves inside the folder."""
        path = self.root.joinpath(*parts).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise SimError(f"refused: {'/'.join(parts)!r} is not inside {self.root}")
        return path

    def save_scenario(self, scenario: Scenario, header: str = "") -> Path:
        """Write ``scenarios/<name>.toml`` atomically (a file of that name is replaced)."""
        path = self.inside(SCENARIOS, f"{scenario.name}.toml")
        path.parent.mkdir(parents=True, exist_ok=True)
        text = scenario_toml(scenario, header)
        fd, tmp = tempfile.mkstemp(prefix=f".{scenario.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def build_pack(self, result: Result, scenario: Scenario, lang: str) -> Path:
        """The chart pack of ``result`` (shown under ``scenario``'s name and titles) as
        ``packs/<name>/charts.pdf``; returns the PDF's path."""
        from sim.charts.pack import build_pack

        folder = self.inside(PACKS, scenario.name)
        named = replace(result, scenario=scenario, path=None)
        with self._drawing:
            report = build_pack([named], folder, lang=lang, png=False, parallel=False)
        return Path(report.pdf)
