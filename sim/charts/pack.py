"""Build the chart pack: one multi-page PDF plus one PNG per page.

One result gives the scenario pack (cover, what the latest figures changed — a run with actuals
only —, table, bars, fans, at-risk distributions, joint picture, co-failure, levers,
assumptions, breaks, trust); several results (the first is the reference, as in
:func:`sim.run_many`) give the comparison pack.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.charts.labels import scenario_title, t
from sim.charts.layout import add_page_number, styled
from sim.charts.pages import COMPARISON_PAGES, SCENARIO_PAGES

PDF_NAME = "charts.pdf"
COMPARISON_PDF_NAME = "comparison.pdf"
PNG_DPI = 150
PNG_COMPRESSION = 3  # zlib level: 3 is ~2× faster to encode than the default 6, files ~10 % bigger
PARALLEL_ENV = "SIM_CHARTS_PARALLEL"  # "0" renders the PNGs in this process


@dataclass
class PackReport:
    """What :func:`build_pack` wrote."""

    pdf: Path
    pngs: list[Path]
    pages: int
    lang: str  # the language actually used ("en" if zh was asked for but no CJK font exists)
    seconds: float
    page_names: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        """Every file written: the PDF first, then the PNGs in page order."""
        return [self.pdf, *self.pngs]


def figures(results: Sequence[Any], lang: str = "zh") -> list[tuple[str, Any]]:
    """(page name, Figure) for the pack of ``results``; build and save them in :func:`styled`."""
    registry: list[tuple[str, Callable[[Sequence[Any], str], list[Any]]]]
    if len(results) == 1:
        registry = [(name, _of_first(f)) for name, f in SCENARIO_PAGES]
    else:
        registry = list(COMPARISON_PAGES)
    out: list[tuple[str, Any]] = []
    for name, build in registry:
        figs = build(list(results), lang)
        for i, fig in enumerate(figs):
            out.append((f"{name}_{i + 1}" if len(figs) > 1 else name, fig))
    return out


def _of_first(page: Callable[[Any, str], list[Any]]) -> Callable[[Sequence[Any], str], list[Any]]:
    """A scenario page as a function of the list of results (it draws the first)."""
    return lambda results, lang: page(results[0], lang)


def build_pack(
    results: Sequence[Any],
    out_dir: str | Path,
    lang: str = "zh",
    pdf_name: str | None = None,
    png: bool = True,
    parallel: bool | None = None,
) -> PackReport:
    """Write the chart pack of ``results`` into ``out_dir``; returns what was written.

    One result: the scenario pack, ``charts.pdf`` plus ``NN_<page>.png``. Several results
    (the first is the reference): the comparison pack, ``comparison.pdf`` plus PNGs.
    ``lang="zh"`` falls back to English, with one warning, if no CJK font is installed.
    The PDF is reproducible (no creation date); PNGs are 150 dpi A4 landscape. Files of an
    earlier pack in ``out_dir`` are replaced (old ``NN_*.png`` removed first).

    ``parallel`` (default: where ``fork`` exists, there are two or more CPUs and
    ``$SIM_CHARTS_PARALLEL`` is not ``0``) renders the PNGs in a forked child process while
    this one writes the PDF; if the child fails, the PNGs are rendered here instead.
    """
    if not results:
        raise ValueError("build_pack needs at least one result")
    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = pdf_name or (PDF_NAME if len(results) == 1 else COMPARISON_PDF_NAME)
    pdf_path = out / name
    for old in out.glob("[0-9][0-9]_*.png"):
        old.unlink()
    with styled(lang) as st:
        named = figures(results, st.lang)
        n = len(named)
        for i, (_, fig) in enumerate(named, start=1):
            add_page_number(fig, i, n, st.lang)
        png_paths = [out / f"{i:02d}_{page}.png" for i, (page, _) in enumerate(named, start=1)]
        jobs = list(zip(png_paths, (fig for _, fig in named), strict=True)) if png else []
        # the child renders most PNGs while this process writes the PDF (PNGs take ~25 % longer
        # than the PDF), then this process renders the rest
        split = -(-len(jobs) * 4 // 5)
        child = _start_png_child(jobs[:split]) if jobs and _use_parallel(parallel) else None
        _write_pdf(pdf_path, [fig for _, fig in named], _title(results, st.lang))
        _finish_pngs(jobs, split, child)
    return PackReport(
        pdf=pdf_path,
        pngs=[p for p, _ in jobs],
        pages=n,
        lang=st.lang,
        seconds=time.perf_counter() - start,
        page_names=[p for p, _ in named],
    )


def _write_pdf(pdf_path: Path, figs: Sequence[Any], title: str) -> None:
    """Write the pages to one PDF without a creation date (so it is reproducible), atomically."""
    from matplotlib.backends.backend_pdf import PdfPages

    tmp = pdf_path.with_name(f".{pdf_path.name}.tmp")
    metadata = {
        "Title": title,
        "Creator": "sim (Qidong innovation-target simulator)",
        "CreationDate": None,
    }
    with PdfPages(tmp, metadata=metadata) as pdf:
        for fig in figs:
            pdf.savefig(fig)
    shutil.move(tmp, pdf_path)


def _finish_pngs(jobs: Sequence[tuple[Path, Any]], split: int, child: Any) -> None:
    """Render the PNGs the child does not (all of them without a child), then wait for it;
    if it failed, render its share here too."""
    if child is not None:
        _save_pngs(jobs[split:])
        child.join()
        if child.exitcode != 0 or not all(p.exists() for p, _ in jobs[:split]):
            _save_pngs(jobs[:split])  # the child failed: render its share here
    elif jobs:
        _save_pngs(jobs)


def _save_pngs(jobs: Sequence[tuple[Path, Any]]) -> None:
    for path, fig in jobs:
        tmp = path.with_name(f".{path.name}.tmp")
        fig.savefig(tmp, dpi=PNG_DPI, format="png", pil_kwargs={"compress_level": PNG_COMPRESSION})
        os.replace(tmp, path)


def _use_parallel(parallel: bool | None) -> bool:
    """Fork only where it exists; by default also only with 2+ CPUs and a single thread."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    if parallel is not None:
        return parallel
    if os.environ.get(PARALLEL_ENV, "").strip() == "0":
        return False
    # forking a multi-threaded process can deadlock on a lock another thread holds
    return (os.cpu_count() or 1) > 1 and threading.active_count() == 1


def _start_png_child(jobs: Sequence[tuple[Path, Any]]) -> Any:
    """Fork a process that inherits the built figures and renders the PNGs (or None)."""
    try:
        proc = multiprocessing.get_context("fork").Process(target=_save_pngs, args=(jobs,))
        proc.start()
    except (OSError, ValueError):
        return None
    return proc


def _title(results: Sequence[Any], lang: str) -> str:
    names = ", ".join(scenario_title(r.scenario, lang) for r in results)
    return f"{t('pack_title', lang)} — {names}"
