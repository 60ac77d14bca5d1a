#!/usr/bin/env python3
"""Bootstrap and run sim on a fresh machine that has only Python 3.11.

    python3 tasks.py run     # set up .venv, run the baseline scenario end to end
    python3 tasks.py test    # set up .venv (and chromium), lint and run the whole test suite
    python3 tasks.py setup   # only set up .venv (and the CJK font, when possible)

The virtual environment lives in ``.venv`` and is reinstalled whenever ``pyproject.toml``
changes. Standard library only: this file must run before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".sim-installed"

# Font files that sim's charts can use for Chinese text (see sim/charts/fonts.py).
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
CJK_FONT_PACKAGE = "fonts-noto-cjk"
# The browser the what-if page's test drives (tests/test_web_browser.py): Debian's chromium,
# never a browser that Playwright would download.
CHROMIUM_FILES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_PACKAGE = "chromium"


def _sh(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, env=env)


def _apt_install(package: str) -> bool:
    """``apt-get install package`` when we are root on Debian; False when we cannot."""
    apt = shutil.which("apt-get")
    if not (apt and hasattr(os, "geteuid") and os.geteuid() == 0):
        return False
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _sh(apt, "update", "-qq", env=quiet)
    _sh(apt, "install", "-y", "-qq", "--no-install-recommends", package, env=quiet)
    return True


def _ensure_cjk_font() -> None:
    """Install a Chinese font from Debian's packages when we are root and none is present."""
    if any(Path(p).exists() for p in CJK_FONT_FILES) or os.environ.get("SIM_CJK_FONT"):
        return
    if not _apt_install(CJK_FONT_PACKAGE):
        print(
            f"warning: no CJK font found; charts fall back to English labels. "
            f"Install one with: sudo apt-get install {CJK_FONT_PACKAGE}",
            file=sys.stderr,
        )


def _ensure_chromium() -> None:
    """Install Debian's chromium for the browser test when we are root and it is missing."""
    if any(Path(p).exists() for p in CHROMIUM_FILES) or os.environ.get("SIM_CHROMIUM"):
        return
    if not _apt_install(CHROMIUM_PACKAGE):
        print(
            f"warning: no chromium found; the browser test of the what-if page is skipped. "
            f"Install it with: sudo apt-get install {CHROMIUM_PACKAGE}",
            file=sys.stderr,
        )


def setup() -> None:
    """Create .venv and install sim with its test extras, once per pyproject.toml version."""
    if sys.version_info < (3, 11):  # noqa: UP036 - runs under any python3, before the venv
        sys.exit(f"sim needs Python >= 3.11, this is {sys.version.split()[0]}")
    _ensure_cjk_font()
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == want:
        return
    if not (BIN / "python").exists():
        _sh(sys.executable, "-m", "venv", VENV)
    _sh(BIN / "python", "-m", "pip", "install", "-q", "--upgrade", "pip")
    _sh(BIN / "python", "-m", "pip", "install", "-q", "-e", ".[dev]")
    STAMP.write_text(want)


def run(args: list[str]) -> None:
    """Run the baseline scenario end to end (results and chart pack under results/)."""
    setup()
    _sh(BIN / "sim", "run", "scenarios/baseline.toml", *args)


def test(args: list[str]) -> None:
    """Lint and type-check, then run the full test suite (notebooks and browser included)."""
    setup()
    _ensure_chromium()
    env = {**os.environ, "MPLBACKEND": "Agg"}
    _sh(BIN / "ruff", "check", ".", env=env)
    _sh(BIN / "ruff", "format", "--check", ".", env=env)
    _sh(BIN / "mypy", env=env)  # files and settings: [tool.mypy] in pyproject.toml
    _sh(BIN / "python", "-m", "pytest", *args, env=env)


def main() -> None:
    """Dispatch ``python3 tasks.py {setup,run,test} [extra args]``."""
    if len(sys.argv) < 2 or sys.argv[1] not in {"setup", "run", "test"}:
        sys.exit(__doc__)
    command, extra = sys.argv[1], sys.argv[2:]
    try:
        if command == "setup":
            setup()
        elif command == "run":
            run(extra)
        else:
            test(extra)
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)


if __name__ == "__main__":
    main()
