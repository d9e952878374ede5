"""Generic service operations every model may use (the ``case.*`` family).

They let a long-lived case run one short instance per round (ARCHITECTURE §2 rule 1) and keep
case-level facts in the case's own row instead of an ever-growing instance.
"""
from __future__ import annotations

from typing import Any

from .errors import ScriptFailed
from .registry import ServiceContext, ServiceRegistry
from .scripting import plain

MAX_CASE_DATA_BYTES = 64 * 1024


def start_process(ctx: ServiceContext, process_key: str, **data: Any) -> dict[str, Any]:
    """Start another instance of ``process_key`` in this case once the current step is saved."""
    if not isinstance(process_key, str) or not process_key:
        raise ScriptFailed("case.start_process needs a process_key")
    ctx.start_requests.append((process_key, plain(data)))
    return {"requested": process_key}


def set_case_data(ctx: ServiceContext, **values: Any) -> dict[str, Any]:
    """Merge ``values`` into the case's data (shown on the case page, read by later rounds)."""
    merged = {**(ctx.case.data or {}), **plain(values)}
    if len(repr(merged)) > MAX_CASE_DATA_BYTES:
        raise ScriptFailed("case data would exceed 64 KiB; keep history in tables, not in case data")
    ctx.case.data = merged
    ctx.case.updated_at = ctx.clock.now()
    return {"case_data": list(values)}


def register(services: ServiceRegistry) -> None:
    services.register("case.start_process", start_process)
    services.register("case.set_data", set_case_data)
