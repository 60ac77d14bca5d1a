"""Find a CJK font so that Chinese chart text renders (never as boxes), without downloading one.

Matplotlib's font cache does not see fonts installed after it was built, so the font file is
registered explicitly with :meth:`matplotlib.font_manager.FontManager.addfont`. The family is
chosen by name (for a Noto CJK collection the Simplified-Chinese face "Noto Sans CJK SC", not
face 0, which is the Japanese one) and its character map is checked against a Chinese sample.

Nothing here changes matplotlib's global settings: :func:`chart_style` returns a
``matplotlib.rc_context`` that the chart code enters while it builds and saves figures.
Registering a font file with the font manager only makes it findable; it changes no default.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SAMPLE = "目标达成概率启东市科技创新很可能存在风险不确定"

# (path, preferred family names in order) — the first file that exists and covers SAMPLE wins.
# Tests monkeypatch this list (and the environment variable) to simulate a machine without one.
CANDIDATES: list[tuple[str, tuple[str, ...]]] = [
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        ("Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP"),
    ),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", ("Noto Sans CJK SC",)),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", ("WenQuanYi Micro Hei",)),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", ("WenQuanYi Zen Hei",)),
    ("C:/Windows/Fonts/msyh.ttc", ("Microsoft YaHei",)),
    ("C:/Windows/Fonts/simhei.ttf", ("SimHei",)),
    ("/System/Library/Fonts/PingFang.ttc", ("PingFang SC",)),
    ("/System/Library/Fonts/STHeiti Medium.ttc", ("Heiti SC", "STHeiti")),
]
ENV_VAR = "SIM_CJK_FONT"
LATIN_FAMILY = "DejaVu Sans"  # ships with matplotlib, so it always exists


class CJKFontWarning(UserWarning):
    """No usable CJK font was found; charts fall back to English."""


@dataclass(frozen=True)
class CJKFont:
    """A registered CJK font: the file and the family name matplotlib knows it by."""

    path: str
    family: str


def _faces(path: str) -> list[Any]:
    """Every face of a font file (a .ttc holds several), as FT2Font objects."""
    from matplotlib import ft2font

    first = ft2font.FT2Font(path)
    faces = [first]
    for index in range(1, getattr(first, "num_faces", 1)):
        try:
            faces.append(ft2font.FT2Font(path, face_index=index))
        except TypeError:  # matplotlib < 3.10 cannot open other faces of a collection
            break
    return faces


def _covers(face: Any, text: str) -> bool:
    charmap = face.get_charmap()
    return all(ord(ch) in charmap for ch in text)


def _try(path: str, preferred: tuple[str, ...]) -> CJKFont | None:
    """Register ``path`` and return its best family if a face covers the sample, else None."""
    if not path or not Path(path).is_file():
        return None
    from matplotlib import font_manager

    try:
        faces = _faces(path)
    except (OSError, RuntimeError, ValueError):
        return None
    rank = {name: i for i, name in enumerate(preferred)}
    faces.sort(key=lambda face: rank.get(face.family_name, len(rank)))  # stable: file order
    family = next((face.family_name for face in faces if _covers(face, SAMPLE)), "")
    if not family:
        return None
    font_manager.fontManager.addfont(path)
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    if family not in known:  # an older matplotlib registers face 0 of a collection only
        family = next((f.family_name for f in faces if f.family_name in known), "")
        if not family or not _covers(next(f for f in faces if f.family_name == family), SAMPLE):
            return None
    bold = Path(path).with_name(Path(path).name.replace("-Regular", "-Bold"))
    if bold != Path(path) and bold.is_file():  # a real bold face for headings, if installed
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            font_manager.fontManager.addfont(str(bold))
    return CJKFont(path=path, family=family)


def candidates() -> list[tuple[str, tuple[str, ...]]]:
    """Font files to try, in order: $SIM_CJK_FONT first, then the usual system locations."""
    out = list(CANDIDATES)
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        out.insert(0, (env, ()))
    return out


@cache
def _find(key: tuple[tuple[str, tuple[str, ...]], ...]) -> CJKFont | None:
    for path, preferred in key:
        found = _try(path, preferred)
        if found is not None:
            return found
    return None


def find_cjk_font() -> CJKFont | None:
    """The first usable CJK font among :func:`candidates`, registered with matplotlib."""
    return _find(tuple(candidates()))


def resolve_language(lang: str) -> tuple[str, CJKFont | None]:
    """The language charts can actually be drawn in, and the CJK font if one was found.

    ``lang="zh"`` without a CJK font gives ``"en"`` and ONE :class:`CJKFontWarning` per call
    (the pack calls this once per build).
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    font = find_cjk_font()
    if lang == "zh" and font is None:
        tried = ", ".join(path for path, _ in candidates()) or "no candidate files"
        warnings.warn(
            f"no CJK font found (tried: {tried}); the charts are drawn with English labels. "
            "Install one "
            "(Debian/Ubuntu: apt install fonts-noto-cjk) or set SIM_CJK_FONT to a .ttf/.ttc/.otf "
            "file with Chinese glyphs.",
            CJKFontWarning,
            stacklevel=2,
        )
        return "en", None
    return lang, font


def rc_params(font: CJKFont | None) -> dict[str, Any]:
    """The chart style: fonts (Latin first, CJK as per-glyph fallback), sizes, thin grid."""
    families = [LATIN_FAMILY] + ([font.family] if font is not None else [])
    return {
        "font.family": families,
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.labelsize": 8.5,
        "axes.edgecolor": "#6b6b6b",
        "axes.linewidth": 0.6,
        "axes.grid": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.unicode_minus": True,
        "grid.color": "#d9d9d9",
        "grid.linewidth": 0.5,
        "xtick.labelsize": 7.5,
        "ytick.labelsize": 7.5,
        "xtick.major.width": 0.5,
        "ytick.major.width": 0.5,
        "xtick.color": "#404040",
        "ytick.color": "#404040",
        "legend.fontsize": 8,
        "legend.frameon": False,
        "lines.linewidth": 1.2,
        "pdf.fonttype": 3,  # Type 42 with the CFF-based Noto CJK collection breaks; Type 3 works
        "pdf.compression": 6,
        "svg.fonttype": "path",
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "savefig.facecolor": "white",
        "hatch.linewidth": 0.6,
    }


@contextmanager
def chart_style(font: CJKFont | None) -> Iterator[None]:
    """Enter the chart style for building and saving figures; restores everything on exit."""
    import matplotlib

    with matplotlib.rc_context(rc_params(font)):  # type: ignore[arg-type]  # keys checked at run
        yield
