"""What the charts write, in Chinese and English: fixed texts, names, numbers and units.

Nothing here is knowledge of the policy or the model; it is read where it lives:

- fixed chart texts from the text catalogue ``sim/charts/text/zh.toml`` and ``en.toml``
  (:func:`t`; the two files must have the same keys and placeholders, see :func:`texts`);
- a target's short subject from ``short_zh`` / ``short_en`` in ``sim/catalogue/targets.toml``;
- units from ``sim/catalogue/units.toml``; lever short names and English units from
  ``sim/catalogue/levers.toml``; parameter names from ``sim/catalogue/parameters/``;
- a scenario's display title from its file (``title_zh`` / ``title_en``).

Target names in the catalogue are the policy's full sentences, too long for a bar label; a
chart shows the target's short subject followed by the condition generated from the result's
own kind and threshold (so a scenario that selects another reading of a target gets the right
number): ``高新技术企业≥500家``, ``科技型中小企业入库每年≥600家``.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from sim.catalogue import cached, units
from sim.errors import CatalogueError, Problem
from sim.levers import levers
from sim.priors import parameters
from sim.targets import groups, targets
from sim.validation import line_of, read_toml

if TYPE_CHECKING:
    from sim.scenario import Scenario

Lang = str  # "zh" or "en"
LANGS = ("zh", "en")
TEXT_DIR = Path(__file__).resolve().parent / "text"


# ------------------------------------------------------------------ statuses and palette
STATUSES = ("likely", "uncertain", "at_risk")
# Greyscale luminance ≈ 0.49 / 0.77 / 0.24 (Rec. 601), so the three stay apart in print.
STATUS_COLOURS = {
    "likely": "#4d9f57",
    "uncertain": "#f6c445",
    "at_risk": "#a8232a",
    "not_modelled": "#bdbdbd",
    "qualitative": "#d9d9d9",
}
STATUS_TEXT_COLOURS = {
    "likely": "white",
    "uncertain": "black",
    "at_risk": "white",
    "not_modelled": "black",
    "qualitative": "black",
}
INK = "#262626"
MUTED = "#6b6b6b"
RULE = "#bfbfbf"
FAN_COLOUR = "#3b6ea5"  # a single blue for the neutral (non-status) data
THRESHOLD_COLOUR = "#262626"
SCENARIO_COLOURS = ("#595959", "#3b6ea5", "#c46a1b", "#7a4f9a", "#2a8c8c")
SCENARIO_MARKERS = ("|", "s", "D", "^", "v")  # the reference is a tick: visible behind others
ACTUAL_COLOUR = "#c46a1b"  # figures published after the policy date, on the fans
BEFORE_COLOUR = "#7f7f7f"  # the fan before the update on those figures

_CN_NUM = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}


# ------------------------------------------------------------------ text catalogue
@cached
def texts(folder: Path | None = None) -> dict[str, dict[str, str]]:
    """The chart texts: language -> key -> text, read from ``zh.toml`` and ``en.toml`` in
    ``folder`` (default :data:`TEXT_DIR`).

    Checked on reading: every value is a string, every ``{placeholder}`` is well formed, both
    files have the same keys and each key the same placeholders in both. The first file with a
    problem raises a :class:`~sim.errors.CatalogueError` naming the file, key and line.
    """
    folder = TEXT_DIR if folder is None else Path(folder)
    paths = {lang: folder / f"{lang}.toml" for lang in LANGS}
    found: dict[str, dict[str, str]] = {}
    lines: dict[str, dict[str, int]] = {}
    fields: dict[str, dict[str, set[str]]] = {}
    problems: dict[str, list[Problem]] = {lang: [] for lang in LANGS}
    for lang, path in paths.items():
        data, lines[lang] = read_toml(path, CatalogueError)
        found[lang], fields[lang] = {}, {}
        for key, value in data.items():
            where = line_of(lines[lang], key)
            if not isinstance(value, str):
                problems[lang].append(Problem(key, f"expected a text (got {value!r})", where))
                continue
            try:
                fields[lang][key] = _placeholders(value)
            except ValueError as exc:
                problems[lang].append(Problem(key, f"malformed placeholder: {exc}", where))
                continue
            found[lang][key] = value
    reference, *others = LANGS
    for lang in others:
        ref_name, name = paths[reference].name, paths[lang].name
        for key in found[reference].keys() - found[lang].keys() - set(lines[lang]):
            at = line_of(lines[reference], key)
            problems[lang].append(Problem(key, f"missing ({ref_name} has it at line {at})"))
        for key in found[lang].keys() - found[reference].keys() - set(lines[reference]):
            at = line_of(lines[lang], key)
            problems[reference].append(Problem(key, f"missing ({name} has it at line {at})"))
        for key in found[reference].keys() & found[lang].keys():
            ours, theirs = fields[lang][key], fields[reference][key]
            if ours != theirs:
                message = (
                    f"placeholders {_braced(ours)} differ from {_braced(theirs)} of the same key "
                    f"in {ref_name} (line {line_of(lines[reference], key)})"
                )
                problems[lang].append(Problem(key, message, line_of(lines[lang], key)))
    for lang in LANGS:
        if problems[lang]:
            raise CatalogueError(str(paths[lang]), problems[lang])
    return found


def _placeholders(text: str) -> set[str]:
    """Names of the ``{fields}`` of a format string (ValueError if one is malformed)."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None:
            if not name or not name.isidentifier():
                raise ValueError(f"{{{name}}} is not a named placeholder")
            names.add(name)
    return names


def _braced(names: set[str]) -> str:
    return ", ".join("{" + n + "}" for n in sorted(names)) or "none"


# ------------------------------------------------------------------ lookups
def t(key: str, lang: Lang, **fields: object) -> str:
    """The fixed text ``key`` in ``lang`` (English unless "zh"), with ``{fields}`` filled in."""
    text = texts()["zh" if lang == "zh" else "en"][key]
    return text.format(**fields) if fields else text


def pick(pair: tuple[str, str], lang: Lang) -> str:
    """The zh or en half of a (zh, en) pair."""
    return pair[0] if lang == "zh" else pair[1]


def status_name(status: str, lang: Lang) -> str:
    """Display name of a status (likely, uncertain, at_risk, ...)."""
    return t(status, lang) if status in texts()["en"] else status


def user_text(text: str) -> str:
    """Text a user wrote (a title, a description), safe to draw: matplotlib reads ``$…$`` as
    mathtext, so every ``$`` is escaped.
    Escape after wrapping, so a line break never splits an escape."""
    return text.replace("$", r"\$")


def scenario_title(scenario: Scenario, lang: Lang) -> str:
    """Display name of a scenario: its ``title_zh`` / ``title_en``, else its name (drawable)."""
    title = scenario.title_zh if lang == "zh" else scenario.title_en
    return user_text(title or scenario.name)


def lever_name(lever_id: str, name_zh: str, name_en: str, lang: Lang) -> str:
    """Short display name of a lever (its catalogue short_zh / short_en); the names given for a
    lever the catalogue does not know."""
    lever = levers().get(lever_id)
    if lever is not None:
        return lever.short_zh if lang == "zh" else lever.short_en
    return name_zh if lang == "zh" else name_en


def lever_unit(unit: str, lang: Lang) -> str:
    """A lever's unit (``lever.unit``) for display: without its parenthesised English gloss in
    Chinese, the catalogue's ``unit_en`` in English (the gloss-less unit if no lever has it)."""
    core = unit.split(" (")[0].strip()
    if lang == "zh":
        return core
    return next((lv.unit_en for lv in levers().values() if lv.unit == unit), core)


def param_name(pid: str, lang: Lang) -> str:
    """Display name of a parameter (its catalogue name_zh / name_en); the id where it has none."""
    prior = parameters().get(pid)
    name = None if prior is None else prior.name_zh if lang == "zh" else prior.name_en
    return name or pid


def unit_name(unit: str | None, lang: Lang) -> str:
    """Display form of a unit of the units table; any other unit as it is ('' for none)."""
    unit = unit if isinstance(unit, str) else ""
    found = units().get(unit)
    if found is None:
        return unit
    return found.zh if lang == "zh" else found.en


def clause(text: str | None, lang: Lang) -> str:
    """A policy clause: as written in Chinese; Arabic numerals in English (三(一)1 → §3(1)1)."""
    if not isinstance(text, str) or not text:
        return ""
    if lang == "zh":
        return text
    out = "".join(str(_CN_NUM[ch]) if ch in _CN_NUM else ch for ch in text)
    return "§" + out


def group_name(group: str, lang: Lang) -> str:
    """The goal group's name from the target catalogue."""
    g = groups().get(group)
    if g is None:
        return group
    return g.name_zh if lang == "zh" else g.name_en


# ------------------------------------------------------------------ numbers
def num(value: float, lang: Lang = "zh", digits: int | None = None) -> str:
    """A number for display: integers without decimals, thousands separated (3万 in Chinese)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if digits is None:
        a = abs(v)
        if abs(v - round(v)) < 1e-9 or a >= 100:
            digits = 0
        elif a >= 10:
            digits = 1
        else:
            digits = 2
    if lang == "zh" and abs(v) >= 10000 and digits == 0:
        wan = v / 10000
        text = f"{wan:.2f}".rstrip("0").rstrip(".")
        return text + "万"
    text = f"{v:,.{digits}f}"
    return text.replace("-", "−")


def pct(p: float, digits: int = 0) -> str:
    """A probability as a percentage; never rounds a non-zero value to 0 % or a miss to 100 %."""
    if p is None or math.isnan(p):
        return "–"
    unit = 10.0**-digits
    shown = 100 * p
    if 0 < shown < unit / 2:
        return f"<{unit:.{digits}f}%"
    if 100 - unit / 2 < shown < 100:
        return f">{100 - unit:.{digits}f}%"
    return f"{shown:.{digits}f}%"


def value_with_unit(value: float, unit: str | None, lang: Lang) -> str:
    """``500家`` / ``500 firms``; percent stays glued (``60%``)."""
    u = unit_name(unit, lang)
    n = num(value, lang)
    if lang == "zh" or u.startswith("%") or not u:
        return f"{n}{u}"
    return f"{n} {u}"


def condition(kind: str, threshold: float, unit: str | None, deadline: int, lang: Lang) -> str:
    """The condition of a target in a few characters: ``≥500家``, ``每年≥600家``, ``累计≥20家``."""
    if kind == "qualitative" or threshold is None or math.isnan(threshold):
        return ""
    n = num(threshold, lang)
    if lang == "zh":
        amount = f"{n}%" if kind.startswith("growth") else f"{n}{unit_name(unit, lang)}"
    elif unit == "100m_cny":
        amount = f"{num(threshold / 10, lang)} bn yuan"
    elif unit in ("percent", "percent_per_year") or kind.startswith("growth"):
        amount = f"{n}%"
    else:
        amount = n  # English labels leave the unit out: the subject names what is counted
    key = f"cond_{kind}" if f"cond_{kind}" in texts()["en"] else "cond_level"
    return t(key, lang, amount=amount)


def target_label(row: dict, lang: Lang, with_condition: bool = True) -> str:
    """Short display name of a target from an attainment row (subject + condition).

    The subject is the catalogue target's ``short_zh`` / ``short_en``; for an id the catalogue
    does not know, the row's full name, shortened.
    """
    target = targets().get(row["target_id"])
    if target is not None:
        subject = target.short_zh if lang == "zh" else target.short_en
    else:
        subject = row["name_zh"] if lang == "zh" else row["name_en"]
        subject = shorten(subject, 24)
    if not with_condition or row.get("kind") == "qualitative":
        return subject
    cond = condition(row["kind"], row["threshold"], row["unit"], int(row["deadline"]), lang)
    return f"{subject}{cond}" if lang == "zh" else f"{subject} {cond}"


def period_text(year: int, months: int, lang: Lang) -> str:
    """The period of an actual: ``2023年`` / ``2023`` for a full year (``months`` 12), else the
    year-to-date span, ``2024年1–5月`` / ``2024 Jan–May``."""
    if months >= 12:
        return t("chg_year", lang, y=year)
    key = "chg_ytd_one" if months == 1 else "chg_ytd"
    return t(key, lang, y=year, m=t(f"month_{months}", lang))


def span_text(months: int, lang: Lang) -> str:
    """The months of a year-to-date figure, without the year: ``1–5月`` / ``Jan–May``."""
    month = t(f"month_{months}", lang)
    return month if months == 1 else t("chg_span", lang, m=month)


def kind_text(kind: str, deadline: int, lang: Lang) -> str:
    """How a target is judged, in a few characters."""
    return t(f"kind_{kind}", lang, y=deadline) if f"kind_{kind}" in texts()["en"] else kind


# ------------------------------------------------------------------ text layout
def width(text: str) -> int:
    """Display width: East Asian wide and full-width characters count 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def shorten(text: str, limit: float) -> str:
    """Cut ``text`` to ``limit`` half-em columns (see :func:`wrap`), ending with '…' if cut."""
    if _columns_of(text) <= limit:
        return text
    out = text
    while out and _columns_of(out + "…") > limit:
        out = out[:-1]
    return out.rstrip() + "…"


_TOKEN = re.compile(r"[A-Za-z0-9_.,;:%()'\"/+\-–—≥≤×·\[\]]+\s*|\s+|.", re.S)
_NO_LINE_START = set("，。、；：！？）》」』】”’%,.;:!?)]")
_NO_LINE_END = set("（《「『【“‘([")


def _columns_of(token: str) -> float:
    """Rendered width in 'columns' (half an em): CJK 2, Latin letters and digits ~1.2, space 0.65.

    Deliberately a little generous for Latin text (DejaVu Sans averages ~0.55 em a letter), so
    wrapped lines never run past their box.
    """
    total = 0.0
    for ch in token:
        if unicodedata.east_asian_width(ch) in "WF" or ch == "—":
            total += 2.0
        elif ch == " ":
            total += 0.6
        elif ch in "il.,;:'|!()[]":
            total += 0.7
        elif ch.isupper() or ch in "mwMW%@":
            total += 1.45
        else:
            total += 1.12
    return total


def wrap(text: str, columns: int, max_lines: int | None = None) -> list[str]:  # noqa: C901 - one pass of line-breaking rules (CJK punctuation, Latin words, overlong words); splitting it would scatter them
    """Wrap mixed Chinese/English text to ``columns`` half-em columns (a CJK character is 2).

    Latin words are kept whole (broken only when longer than a line); Chinese breaks between
    any two characters, except that closing punctuation never starts a line. With
    ``max_lines``, the last kept line ends with '…' if text was dropped.
    """
    lines: list[str] = []
    for para in str(text).split("\n"):
        if not para.strip():
            lines.append("")
            continue
        current, used = "", 0.0
        for token in _TOKEN.findall(para):
            w = _columns_of(token)
            if used + _columns_of(token.rstrip()) > columns and current.strip():
                if token[0] in _NO_LINE_START and len(token.strip()) == 1:
                    current += token  # hang the punctuation at the line end
                    used += w
                    continue
                carry = ""
                while current and current[-1] in _NO_LINE_END:  # never end on an opening mark
                    carry = current[-1] + carry
                    current = current[:-1]
                lines.append(current.rstrip())
                current, used = carry, _columns_of(carry)
                if token.isspace():
                    continue
            if w > columns:  # a single overlong word: hard-break it
                step = max(1, int(len(token) * columns / w))
                for i in range(0, len(token), step):
                    if current:
                        lines.append(current.rstrip())
                    current = token[i : i + step]
                    used = _columns_of(current)
                continue
            current += token
            used += w
        if current.strip():
            lines.append(current.rstrip())
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _columns_of(last + "…") > columns:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def wrapped(text: str, columns: int, max_lines: int | None = None) -> str:
    """:func:`wrap` joined with newlines."""
    return "\n".join(wrap(text, columns, max_lines))


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")


def latin_only(text: str) -> str:
    """``text`` with Chinese runs replaced by '[…]', for English charts drawn without a CJK font."""
    return _CJK.sub("[…]", text)
