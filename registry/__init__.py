"""U4SSC KPI registry: the U4SSC KPI catalogue, city submissions and scores as linked data."""

import signal
import sys
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kpi-registry")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+unknown"

# A process the registry spawns (a query process, a validation worker) starts by importing its parent's
# main module, which imports this package first. Ctrl-C reaches the terminal's whole process group, and
# the parent stops its children itself: a child that is still importing must not print a KeyboardInterrupt.
# (sys.orig_argv: multiprocessing gives a spawned child its parent's sys.argv before that import.)
if "--multiprocessing-fork" in sys.orig_argv:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
