"""The folder `--out` writes: every file of a set at once, or none, and no plan ever lost.

How a set goes in (`write_folder`):

1. Every file is written and flushed to disk in a new folder beside the target, named
   `.NAME.new-XXXX` (same parent, so the same disk: the swap below is a rename, not a copy).
2. Files already in the target that the new set does not write (a planner's own notes, a
   plan beside a comparison) are carried into the new folder by hard link (a copy where the
   disk has no links), so that they stay. `no_plan.json` is not carried: a new plan replaces it.
3. The new folder takes the target's name at once. On Linux the two folders are exchanged in
   one step (renameat2 RENAME_EXCHANGE): at every moment the name holds the old set or the new
   one. Elsewhere (or on a disk that cannot exchange) the old folder is renamed aside to
   `.NAME.old-XXXX` and the new one renamed in: between these two renames, the one moment
   where neither set has the target's name, the old set is whole under `.NAME.old-XXXX`, and
   the next write puts it back before doing anything else (`_recover`).
4. The old set is removed.

A failure at any step (a full disk, no permission, a file held open by Excel or WPS on
Windows) removes the new folder and leaves the old set as it was; a kill leaves at most a
`.NAME.new-XXXX` folder beside the target (never inside it), removed by a later write once it
is an hour old.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import glob
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

CSV_ENCODING = "utf-8-sig"  # the BOM lets Excel on a Chinese Windows read UTF-8
NO_PLAN_FILE = "no_plan.json"
_STALE_S = 3600.0


class OutFolderRefused(ValueError):
    """The folder given to `--out` cannot take a set whole (bad input: exit 2)."""


def _umask_mode(base: int) -> int:
    mask = os.umask(0)
    os.umask(mask)
    return base & ~mask


_FILE_MODE = _umask_mode(0o666)
_DIR_MODE = _umask_mode(0o777)


def out_folder_problem(directory: Path) -> str | None:
    """Why `directory` cannot take a set whole, or None. Checked before solving, so that
    nothing is solved for a folder that cannot be written."""
    target = _target(directory)
    if target.exists() and not target.is_dir():
        return f"{directory}: is a file, not a folder; give --out a folder"
    here = Path.cwd().resolve()
    if here == target.resolve() or target.resolve() in here.parents:
        return (
            f"{directory}: is the current folder (or holds it); --out replaces its folder "
            "whole, so give it a folder of its own, e.g. --out plan2024"
        )
    if target.is_dir():
        nested = sorted(p.name for p in target.iterdir() if p.is_dir() and not p.is_symlink())
        if nested:
            return (
                f"{directory}: holds folders ({', '.join(nested[:5])}); --out replaces its "
                "folder whole, so give it a folder of its own"
            )
    return None


def write_folder(directory: Path, files: Mapping[str, str | bytes]) -> None:
    """Write `files` (name -> text or bytes) into `directory`, all of them or none, carrying
    over other files already there. Text is UTF-8 (CSV with a byte-order mark). Raises
    OutFolderRefused for a folder that cannot take a set, OSError when writing fails."""
    problem = out_folder_problem(directory)
    if problem:
        raise OutFolderRefused(problem)
    target = _target(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    _recover(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        for name, content in files.items():
            _write_one(staging / name, content)
        if target.is_dir():
            _carry_over(target, staging, keep_out=set(files) | {NO_PLAN_FILE})
        os.chmod(staging, _DIR_MODE)  # mkdtemp makes 0700; plans are for sharing
        _sync(staging)
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _target(directory: Path) -> Path:
    target = Path(os.path.abspath(directory))
    return target.resolve() if target.is_symlink() else target


def _write_one(path: Path, content: str | bytes) -> None:
    """One file, written and flushed to disk."""
    if isinstance(content, str):
        encoding = CSV_ENCODING if path.suffix == ".csv" else "utf-8"
        content = content.encode(encoding)
    with open(path, "xb") as stream:
        stream.write(content)
        stream.flush()
        os.fsync(stream.fileno())
    os.chmod(path, _FILE_MODE)


def _carry_over(old: Path, new: Path, keep_out: set[str]) -> None:
    """Files of the old folder that the new set does not write, linked (or copied) into it."""
    for entry in old.iterdir():
        if entry.name in keep_out or (entry.is_dir() and not entry.is_symlink()):
            continue
        try:
            os.link(entry, new / entry.name, follow_symlinks=False)
        except OSError:
            shutil.copy2(entry, new / entry.name, follow_symlinks=False)


def _sync(folder: Path) -> None:
    """Flush a folder's entries to disk (where the system allows opening a folder)."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _swap(staging: Path, target: Path) -> None:
    """Give `staging` the name `target`; the old folder, if any, is removed after."""
    if not target.exists():
        os.rename(staging, target)
    elif _exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # the old set, now under the staging name
    else:
        aside = _unique_beside(target, "old")
        os.rename(target, aside)
        try:
            os.rename(staging, target)
        except BaseException:
            os.rename(aside, target)
            raise
        shutil.rmtree(aside, ignore_errors=True)
    _sync(target.parent)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where the
    system or the disk cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return done == 0


def _renameat2() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    if not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    function.argtypes += [ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _unique_beside(target: Path, tag: str) -> Path:
    stamp = f"{os.getpid()}-{time.time_ns()}"
    return target.parent / f".{target.name}.{tag}-{stamp}"


def _recover(target: Path) -> None:
    """Undo what a write killed halfway left beside `target`: an old set renamed aside with
    no set under the name is put back; staging folders an hour old are removed."""
    beside = [p for p in target.parent.glob(f".{glob.escape(target.name)}.*-*") if p.is_dir()]
    aside = sorted((p for p in beside if p.name.startswith(f".{target.name}.old-")), key=_mtime)
    if aside and not target.exists():
        os.rename(aside[-1], target)
    now = time.time()
    for leftover in beside:
        if leftover.exists() and now - _mtime(leftover) > _STALE_S:
            shutil.rmtree(leftover, ignore_errors=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def leftovers(target: Path) -> list[Path]:
    """Staging or old folders beside `target`, and hidden temporary files in it (for tests and
    for the message after a failed write)."""
    target = _target(target)
    found = sorted(target.parent.glob(f".{glob.escape(target.name)}.*-*"))
    if target.is_dir():
        found += sorted(p for p in target.iterdir() if p.name.startswith("."))
    return found
