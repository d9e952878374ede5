"""Modbus register maps: normalized when valid, refused entry by entry when not."""
from __future__ import annotations

import pytest

from storage.register_map import RegisterMapError, normalize_register_map, parse_register_map


def test_a_valid_map_is_normalized():
    raw = [{"quantity": "pm10", "address": 0, "data_type": "uint16", "scale": 0.1, "unit": "ug/m3"},
           {"quantity": "wind_speed", "address": 2, "count": 2, "data_type": "float32", "unit": "m/s",
            "table": "input", "word_order": "little"}]
    assert normalize_register_map(raw) == [
        {"quantity": "pm10", "address": 0, "count": 1, "data_type": "uint16", "scale": 0.1, "offset": 0.0,
         "unit": "ug/m3", "table": "holding", "word_order": "big"},
        {"quantity": "wind_speed", "address": 2, "count": 2, "data_type": "float32", "scale": 1.0, "offset": 0.0,
         "unit": "m/s", "table": "input", "word_order": "little"},
    ]


@pytest.mark.parametrize("raw", [None, [], {}, "pm10", [1] * 65])
def test_not_a_list_of_entries(raw):
    with pytest.raises(RegisterMapError) as err:
        parse_register_map(raw)
    assert "_map" in err.value.errors


@pytest.mark.parametrize(("entry", "message"), [
    ("pm10", "must be an object"),
    ({"quantity": "PM 10", "address": 0, "data_type": "uint16", "unit": ""}, "quantity must be"),
    ({"quantity": "pm10", "address": -1, "data_type": "uint16", "unit": ""}, "address must be an integer"),
    ({"quantity": "pm10", "address": 65536, "data_type": "uint16", "unit": ""}, "address must be an integer"),
    ({"quantity": "pm10", "address": True, "data_type": "uint16", "unit": ""}, "address must be an integer"),
    ({"quantity": "pm10", "address": 65535, "data_type": "float32", "unit": ""}, "run past address 65535"),
    ({"quantity": "pm10", "address": 0, "data_type": "float16", "unit": ""}, "data_type must be one of"),
    ({"quantity": "pm10", "address": 0, "data_type": "int32", "count": 1, "unit": ""}, "count must be 2 for int32"),
    ({"quantity": "pm10", "address": 0, "data_type": "uint16", "scale": 0, "unit": ""}, "scale must be"),
    ({"quantity": "pm10", "address": 0, "data_type": "uint16", "scale": float("nan"), "unit": ""}, "scale must be"),
    ({"quantity": "pm10", "address": 0, "data_type": "uint16", "offset": "1", "unit": ""}, "offset must be"),
    ({"quantity": "pm10", "address": 0, "data_type": "uint16"}, "unit must be text"),
    ({"quantity": "pm10", "address": 0, "data_type": "uint16", "unit": "", "table": "coil"}, "table must be"),
    ({"quantity": "pm10", "address": 0, "data_type": "uint32", "unit": "", "word_order": "middle"}, "word_order"),
    ({"quantity": "pm10", "address": 0, "data_type": "uint16", "unit": "", "slave": 3}, "unknown keys: slave"),
])
def test_bad_entries_are_named_by_index(entry, message):
    good = {"quantity": "tsp", "address": 100, "data_type": "uint16", "unit": "ug/m3"}
    with pytest.raises(RegisterMapError) as err:
        parse_register_map([good, entry])
    assert list(err.value.errors) == ["1"]
    assert any(message in m for m in err.value.errors["1"]), err.value.errors


def test_quantities_and_registers_are_not_shared():
    with pytest.raises(RegisterMapError) as err:
        parse_register_map([
            {"quantity": "pm10", "address": 0, "data_type": "uint32", "unit": ""},
            {"quantity": "pm25", "address": 1, "data_type": "uint16", "unit": ""},   # overlaps register 1
            {"quantity": "pm10", "address": 5, "data_type": "uint16", "unit": ""},   # pm10 twice
            {"quantity": "tsp", "address": 1, "data_type": "uint16", "unit": "", "table": "input"},  # other table
        ])
    assert err.value.errors == {"1": ["register 1 is already used by 'pm10'"], "2": ["quantity 'pm10' is already mapped"]}
