"""The reference-data family: no BPMN, its districts checked at start-up, and its demo data."""
from __future__ import annotations

from pathlib import Path

from workflows.family import ProcessFamily, Registries

from .demo import seed_demo
from .districts import configured_districts

HERE = Path(__file__).parent


def register(registries: Registries) -> None:
    """Check the configured districts at start-up (imports and reports rely on them)."""
    configured_districts(registries.config)


FAMILY = ProcessFamily(name="reference", bpmn_dir=HERE / "bpmn", register=register, seed_demo=seed_demo)
