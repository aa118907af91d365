"""Where the registry's non-Python assets live (ontology/, shapes/, queries/, data/).

They sit beside the package in the source tree (the layout the project documents), so an
editable install or a checkout finds them; KPI_REGISTRY_HOME points elsewhere when needed.
"""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def project_root() -> Path:
    return Path(os.environ.get("KPI_REGISTRY_HOME", _ROOT))


def asset_dir(name: str) -> Path:
    """`ontology`, `shapes`, `queries` or `data` under the project root."""
    return project_root() / name
