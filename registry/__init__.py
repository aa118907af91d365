"""U4SSC KPI registry: the U4SSC KPI catalogue, city submissions and scores as linked data."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kpi-registry")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+unknown"
