"""Exceptions that carry enough context for a clear message and a non-zero exit."""

from __future__ import annotations

from dataclasses import dataclass

# A hostile file can hold thousands of wrong keys, each thousands of characters long; a message
# lists enough of them to fix the file without flooding the terminal.
MAX_PROBLEMS_SHOWN = 20  # problems listed in one message; the rest are counted
MAX_KEY_SHOWN = 80  # characters of a key shown (a scenario name is at most 80)


def shorten(text: str, limit: int = MAX_KEY_SHOWN) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for messages."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def given(x: float) -> str:
    """A number as the user wrote it (shortest exact form: 30.0000001, not 30), for messages."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


class SimError(Exception):
    """Base of every error sim reports to a user (the CLI prints it without a traceback)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file: where, what was found, what was expected."""

    key: str
    message: str
    line: int | None = None
    suggestion: str | None = None

    def render(self, path: str) -> str:
        """Format as ``file:line: key: message; did you mean 'x'?``."""
        where = f"{path}:{self.line}" if self.line else path
        key = f" {shorten(self.key)}:" if self.key else ""
        hint = f"; did you mean '{self.suggestion}'?" if self.suggestion else ""
        return f"{where}:{key} {self.message}{hint}"


class InputFileError(SimError):
    """An input file (scenario, catalogue) failed validation; holds every problem found."""

    def __init__(self, path: str, problems: list[Problem]):
        self.path = path
        self.problems = problems
        lines = [p.render(path) for p in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"… and {len(problems) - MAX_PROBLEMS_SHOWN} more")
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{path}: {len(problems)} {noun}\n  " + "\n  ".join(lines))


class ScenarioError(InputFileError):
    """A scenario file is malformed or asks for something the catalogue does not have."""


class CatalogueError(InputFileError):
    """A packaged catalogue file is inconsistent (a bug in sim, caught by the tests)."""


class ResultError(SimError):
    """A result directory is missing, incomplete or written by an incompatible version."""
