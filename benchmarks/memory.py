"""Peak memory (RSS) of one step of a long-running process, from Linux's own accounting.

`resource.getrusage` only knows the peak of the whole process; /proc/self/clear_refs (value 5) resets the
kernel's high-water mark (VmHWM), so each step can report its own peak.
"""

from __future__ import annotations

import re
import resource
from pathlib import Path

_STATUS = Path("/proc/self/status")


def reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # not Linux, or not allowed: the peak then covers the process so far
        pass


def peak_mb() -> float:
    """This process's peak RSS since the last reset_peak()."""
    try:
        return int(re.search(r"VmHWM:\s+(\d+) kB", _STATUS.read_text())[1]) / 1024
    except (OSError, TypeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mb() -> float:
    """The largest peak RSS of any child process waited for so far (worker pools, the naive path)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def group_rss_mb(pgid: int) -> float:
    """Current RSS of every process in a process group (a server and its workers)."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # field 5 of stat, the process group
                total += int(fields[21]) * resource.getpagesize()  # field 24, RSS in pages
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20
