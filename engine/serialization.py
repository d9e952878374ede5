"""Serialized forms: a deployed spec is stored once; an instance stores only its own state.

Instances reference their spec through ``process_instance.definition_id`` (ARCHITECTURE §2
rule 2); parsed specs are cached by definition id, so loading an instance restores only its
task tree and data. State is zlib-compressed JSON.
"""
from __future__ import annotations

import json
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

STATE_FORMAT = 1  # bump with a migration when the stored state layout changes

SpecBundle = tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]


class _SpecByReferenceConverter(BpmnWorkflowConverter):
    """Leaves the spec out of the serialized workflow and takes it back from the cache."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:  # type: ignore[override]
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], bundle: SpecBundle | None = None) -> BpmnWorkflow:  # type: ignore[override]
        if bundle is None:
            raise ValueError("an instance is restored with its spec bundle")
        spec, subprocess_specs = bundle
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _uuid(value: str):  # type: ignore[no-untyped-def]
    from uuid import UUID

    return UUID(value)


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpecByReferenceConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_SERIALIZER = _make_serializer()


def _pack(obj: Any) -> bytes:
    return zlib.compress(json.dumps(obj, separators=(",", ":")).encode(), 1)


def _unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


def dump_spec(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> bytes:
    return _pack({
        "spec": _SERIALIZER.to_dict(spec),
        "subprocess_specs": {k: _SERIALIZER.to_dict(v) for k, v in subprocess_specs.items()},
    })


def load_spec(blob: bytes) -> SpecBundle:
    dct = _unpack(blob)
    spec = _SERIALIZER.from_dict(dct["spec"])
    subs = {k: _SERIALIZER.from_dict(v) for k, v in dct["subprocess_specs"].items()}
    return spec, subs


def dump_state(workflow: BpmnWorkflow) -> bytes:
    dct = _SERIALIZER.to_dict(workflow)
    return _pack({"format": STATE_FORMAT, "serializer_version": _SERIALIZER.VERSION, "workflow": dct})


def load_state(blob: bytes, bundle: SpecBundle) -> BpmnWorkflow:
    dct = _unpack(blob)
    if dct.get("format") != STATE_FORMAT:
        raise ValueError(f"unsupported instance state format {dct.get('format')!r}")
    return _SERIALIZER.from_dict(dct["workflow"], bundle=bundle)


@dataclass(frozen=True)
class CachedDefinition:
    """What a step needs of a deployed version: its key, version and parsed specs."""

    id: int
    key: str
    version: int
    bundle: SpecBundle


class SpecCache:
    """Parsed definitions by id (LRU, thread-safe): a deployed version never changes."""

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = capacity
        self._items: OrderedDict[int, CachedDefinition] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, definition_id: int, load_row: Callable[[], tuple[str, int, bytes]]) -> CachedDefinition:
        """The cached definition; ``load_row`` gives (key, version, spec blob) on a miss."""
        with self._lock:
            cached = self._items.get(definition_id)
            if cached is not None:
                self._items.move_to_end(definition_id)
                return cached
        key, version, blob = load_row()
        cached = CachedDefinition(definition_id, key, version, load_spec(blob))
        with self._lock:
            self._items[definition_id] = cached
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return cached
