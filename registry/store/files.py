"""Swapping two store directories in one step, so a reader or a crash sees one whole store or the other."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h


def exchange_directories(a: Path, b: Path) -> None:
    """Atomically swap two directories on one file system (Linux renameat2 RENAME_EXCHANGE).

    Where the call is missing (not Linux, or an old C library) the swap is two renames: a crash between
    them leaves `b` absent and both stores intact under their other names.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
            return
        errno = ctypes.get_errno()
        raise OSError(errno, f"cannot exchange {a} and {b}: {os.strerror(errno)}")
    aside = b.with_name(b.name + ".swap")
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)
