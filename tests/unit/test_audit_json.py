"""The canonical JSON and hash of audit events (storage.audit), without a database."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from storage.audit import GENESIS_HASH, canonical_json, event_hash, plain_json

SHANGHAI = timezone(timedelta(hours=8))


def test_canonical_json_is_sorted_compact_and_keeps_chinese() -> None:
    assert canonical_json({"b": 1, "a": {"d": "整改", "c": [1, 2]}}) == '{"a":{"c":[1,2],"d":"整改"},"b":1}'


def test_datetimes_become_utc_with_microseconds_and_explicit_offset() -> None:
    at = datetime(2024, 5, 1, 8, 30, tzinfo=SHANGHAI)
    assert canonical_json({"at": at}) == '{"at":"2024-05-01T00:30:00.000000+00:00"}'


def test_plain_json_converts_values_that_json_cannot_round_trip() -> None:
    value = {
        "amount": Decimal("12.50"),
        "day": date(2024, 5, 1),
        "id": UUID("12345678-1234-5678-1234-567812345678"),
        "pair": (1, 2),
        "big": 1e16,
        "ratio": 0.25,
        3: "int key",
    }
    plain = plain_json(value)
    assert plain == {
        "amount": "12.50",
        "day": "2024-05-01",
        "id": "12345678-1234-5678-1234-567812345678",
        "pair": [1, 2],
        "big": 10_000_000_000_000_000,
        "ratio": 0.25,
        "3": "int key",
    }
    assert json.loads(json.dumps(plain)) == plain


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"at": datetime(2024, 5, 1)}, ValueError),
        ({"x": float("nan")}, ValueError),
        ({"x": float("inf")}, ValueError),
        ({"x": "nul\x00"}, ValueError),
        ({"x": {1.5: "float key"}}, TypeError),
        ({"x": object()}, TypeError),
        ({"x": {1, 2}}, TypeError),
    ],
)
def test_plain_json_refuses_what_it_cannot_store_faithfully(value: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        plain_json(value)


def test_hash_depends_on_previous_hash_and_every_field() -> None:
    fields = {"seq": 1, "action": "case.open", "data": {"a": 1}}
    base = event_hash(GENESIS_HASH, fields)
    assert len(base) == 64 and base == event_hash(GENESIS_HASH, dict(reversed(list(fields.items()))))
    assert event_hash("1" * 64, fields) != base
    assert event_hash(GENESIS_HASH, dict(fields, seq=2)) != base
    assert event_hash(GENESIS_HASH, dict(fields, data={"a": 2})) != base
