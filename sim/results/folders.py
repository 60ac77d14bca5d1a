"""Output folders that are never lost: ownership, a lock per folder, stale leftovers, the swap.

A result goes only into a folder that ``sim`` made (recognised by ``owned``, for results their
manifest); a foreign folder or a file at that path is refused with an error naming it.
Writers of one folder ``OUT/<name>`` serialise on ``OUT/.<name>.lock`` (``fcntl.flock``: the
kernel drops the lock when its holder exits, SIGKILL included); a second writer *refuses*
rather than waits, so two runs never both say "saved" while one result is discarded. Under the
lock, leftovers of killed runs (``.<name>.tmp-XXXX``, ``.<name>.old-PID``) are stale by
construction and are removed — only entries that match those patterns exactly, only folders.
The new folder replaces the old one in one atomic exchange (``renameat2``), so the destination
always holds a complete result; an ``OSError`` while writing (disk full, permission denied,
read-only file system) leaves the previous result intact and is reported in one line.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.errors import ResultError

# Keys every manifest sim has ever written: a folder whose manifest.json is a JSON object with
# them was made by sim, so it may be replaced by a newer result.
MANIFEST_KEYS = frozenset({"format_version", "sim_version", "scenario"})
# renameat2 flag that swaps two paths atomically (linux/fs.h); 0 where it is missing.
RENAME_EXCHANGE = 2
# renameat2's "relative to the current directory" (linux/fcntl.h): paths are made absolute.
AT_FDCWD = -100
# What an interrupted write leaves beside OUT/<name>: mkdtemp's random suffix (letters,
# digits, underscores) or the pid of the writer that moved the old result aside.
_LEFTOVER = r"\.{name}\.(?:tmp-[A-Za-z0-9_]+|old-[0-9]+)"

Owned = Callable[[Path], bool]


class OutputError(ResultError):
    """The output folder cannot be written: in use, foreign, not a folder, or a failed write."""


def is_sim_result(folder: Path) -> bool:
    """Whether ``folder`` holds a sim result: a manifest.json object with sim's keys."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.keys() >= MANIFEST_KEYS


def _reason(exc: OSError) -> str:
    """One line for an OSError: what happened and to which path."""
    what = {
        errno.ENOSPC: "disk full",
        errno.EDQUOT: "disk quota exceeded",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "read-only file system",
    }.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    return f"{what} ({exc.filename})" if exc.filename else what


# ---------------------------------------------------------------------- the lock

_held: dict[Path, list[int]] = {}  # lock file -> [fd, depth]: re-entrant within a process


def _lock_path(final: Path) -> Path:
    return final.parent / f".{final.name}.lock"


@contextmanager
def output_lock(final: Path) -> Iterator[None]:
    """Hold the lock of the output folder ``final``; refuse (:class:`OutputError`) if another
    process holds it. Re-entrant in one process; the lock file is removed on release."""
    path = Path(os.path.abspath(_lock_path(final)))
    if path in _held:
        _held[path][1] += 1
        try:
            yield
        finally:
            _held[path][1] -= 1
        return
    fd = _acquire(path, final)
    _held[path] = [fd, 1]
    try:
        yield
    finally:
        del _held[path]
        with contextlib.suppress(OSError):  # a lock file that stays is harmless: reused
            path.unlink()
        os.close(fd)


def _acquire(path: Path, final: Path) -> int:
    """Open and lock ``path``, retrying if a releasing holder unlinked it meanwhile."""
    _check_parent(final)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot write to {final.parent}: {_reason(exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise OutputError(
                f"{final} is being written by another sim run (pid {holder}); this run "
                "refuses rather than waits — run again when it has finished, or choose "
                "another --out"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            return fd
        os.close(fd)  # the holder released and removed it between our open and our lock


def _check_parent(final: Path) -> None:
    """The parent of the output folder exists (created if needed) and is a folder."""
    parent = final.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        pass  # reported below, naming the path that is not a folder
    except OSError as exc:
        raise OutputError(f"cannot create {parent}: {_reason(exc)}") from None
    if not parent.is_dir():
        blocker = next((p for p in (parent, *parent.parents) if p.exists()), parent)
        raise OutputError(
            f"cannot save to {final}: {blocker} is not a folder; choose another --out"
        )


# ---------------------------------------------------------------------- preparing and swapping


def check_destination(
    final: Path, owned: Owned = is_sim_result, kind: str = "a sim result"
) -> None:
    """Refuse a destination that is a file or a folder sim did not make (an empty one is fine)."""
    if final.is_symlink() or (final.exists() and not final.is_dir()):
        raise OutputError(
            f"{final} exists and is not a folder (not {kind}); choose another --out or name"
        )
    if final.is_dir() and any(final.iterdir()) and not owned(final):
        raise OutputError(f"{final} exists and is not {kind}; choose another --out or name")


def clean_leftovers(final: Path) -> list[Path]:
    """Remove what killed runs left beside ``final`` (call with the lock held): temporary
    folders, and old results moved aside — put back if ``final`` itself is missing."""
    pattern = re.compile(_LEFTOVER.format(name=re.escape(final.name)))
    removed: list[Path] = []
    try:
        entries = list(os.scandir(final.parent))
    except OSError:
        return removed
    for entry in sorted(entries, key=lambda e: e.name):
        if not pattern.fullmatch(entry.name) or not entry.is_dir(follow_symlinks=False):
            continue
        path = Path(entry.path)
        if ".old-" in entry.name and not final.exists():
            path.rename(final)  # killed between the two renames of the fallback swap
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


@contextmanager
def prepared(
    final: Path, owned: Owned = is_sim_result, kind: str = "a sim result"
) -> Iterator[None]:
    """Lock ``final``, refuse it if it is not ours, and clean stale leftovers beside it."""
    with output_lock(final):
        check_destination(final, owned, kind)
        clean_leftovers(final)
        yield


def write_atomically(
    final: Path,
    write: Callable[[Path], None],
    owned: Owned = is_sim_result,
    kind: str = "a sim result",
) -> Path:
    """Run ``write(folder)`` on a fresh temporary folder beside ``final``, then swap it in.

    Under the folder's lock; a destination that is not ours is refused. On any failure the
    temporary folder is removed and ``final`` is left as it was; an ``OSError`` becomes an
    :class:`OutputError` that says so.
    """
    with prepared(final, owned, kind):
        existed = final.exists()
        tmp: Path | None = None
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
            os.chmod(tmp, 0o777 & ~_umask())
            write(tmp)
            _replace_dir(tmp, final)
        except OSError as exc:
            kept = "the previous result is intact" if existed else "nothing was saved"
            raise OutputError(f"could not save {final}: {_reason(exc)}; {kept}") from None
        finally:
            if tmp is not None and tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return final


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _replace_dir(new: Path, final: Path) -> None:
    """Put ``new`` at ``final``: one atomic exchange where the kernel offers it (``new`` then
    holds the old result, removed by the caller), else two renames."""
    if not final.exists():
        new.rename(final)
        return
    if _exchange(new, final):
        return
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    final.rename(old)
    new.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with ``renameat2(RENAME_EXCHANGE)``; False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    rc = renameat2(AT_FDCWD, os.fsencode(os.path.abspath(a)), AT_FDCWD,
                   os.fsencode(os.path.abspath(b)), RENAME_EXCHANGE)  # fmt: skip
    if rc == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False  # the file system or kernel cannot exchange: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))
