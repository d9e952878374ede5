"""Modbus register maps: decoding every type and order, read planning, configuration errors."""
from __future__ import annotations

import struct

import pytest

from adapters.modbus import RegisterMapError, RegisterSpec, gateways_from_config, plan_reads, spec_from_mapping


def words(fmt: str, value: float) -> list[int]:
    raw = struct.pack(fmt, value)
    return [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]


@pytest.mark.parametrize(("data_type", "fmt", "value"), [
    ("int16", ">h", -1234), ("uint16", ">H", 65000), ("int32", ">i", -7_000_000),
    ("uint32", ">I", 4_000_000_000), ("float32", ">f", 87.5), ("float64", ">d", 1234.5678),
    ("int64", ">q", -2**40),
])
def test_decode_big_endian(data_type: str, fmt: str, value: float) -> None:
    assert RegisterSpec("pm10", 0, data_type).decode(words(fmt, value)) == value


def test_word_and_byte_order() -> None:
    high, low = words(">f", 95.25)
    assert RegisterSpec("crane_load_pct", 0, "float32", word_order="little").decode([low, high]) == 95.25
    swapped = [int.from_bytes(w.to_bytes(2, "big"), "little") for w in (high, low)]
    assert RegisterSpec("crane_load_pct", 0, "float32", byte_order="little").decode(swapped) == 95.25


def test_scale_and_offset() -> None:
    assert RegisterSpec("wind_speed", 0, "uint16", scale=0.1).decode([138]) == pytest.approx(13.8)
    assert RegisterSpec("temperature", 0, "int16", scale=0.1, offset=-40).decode([600]) == pytest.approx(20.0)


def test_plan_reads_groups_contiguous_registers_only() -> None:
    specs = [RegisterSpec("crane_load_pct", 0, "float32"), RegisterSpec("crane_moment_pct", 2, "float32"),
             RegisterSpec("wind_speed", 10), RegisterSpec("pm10", 0, table="input")]
    blocks = plan_reads(specs)
    assert [(b.table, b.address, b.count) for b in blocks] == [("holding", 0, 4), ("holding", 10, 1), ("input", 0, 1)]
    values = blocks[0].values(words(">f", 50.0) + words(">f", 60.0))
    assert [(s.quantity, v) for s, v in values] == [("crane_load_pct", 50.0), ("crane_moment_pct", 60.0)]


def test_plan_reads_caps_a_request_at_125_registers() -> None:
    blocks = plan_reads([RegisterSpec("pm10", a) for a in range(200)])
    assert [b.count for b in blocks] == [125, 75]


@pytest.mark.parametrize(("entry", "message"), [
    ({"quantity": "flux", "address": 0}, "unknown quantity 'flux'"),
    ({"quantity": "pm10", "address": -1}, "pm10: address must be an integer 0..65535, not -1"),
    ({"quantity": "pm10", "address": 0, "type": "float16"},
     "pm10: type must be one of int16, uint16, int32, uint32, float32, int64, uint64, float64, not 'float16'"),
    ({"quantity": "pm10", "address": 0, "data_type": "float32", "count": 1},
     "pm10: count 1 does not match float32 (2 registers)"),
    ({"quantity": "pm10", "address": 0, "word_order": "middle"}, "pm10: byte_order and word_order must be 'big' or 'little'"),
    ({"quantity": "pm10", "address": 0, "table": "coils"}, "pm10: table must be 'holding' or 'input', not 'coils'"),
    ({"quantity": "pm10", "address": 0, "scale": "x"}, "pm10: scale and offset must be numbers"),
])
def test_bad_register_entries(entry: dict[str, object], message: str) -> None:
    with pytest.raises(RegisterMapError) as info:
        spec_from_mapping(entry)
    assert str(info.value) == message


def test_the_registry_normalized_form_is_accepted() -> None:
    spec = spec_from_mapping({"quantity": "wind_speed", "address": 2, "count": 2, "data_type": "float32",
                              "scale": 1.0, "offset": 0.0, "unit": "m/s", "table": "input", "word_order": "little"})
    assert (spec.data_type, spec.table, spec.word_order, spec.count) == ("float32", "input", "little", 2)


def test_gateways_from_json() -> None:
    gateways = gateways_from_config(
        '[{"name": "gw1", "host": "10.0.0.5", "devices": [{"unit_id": 3, "interval": 5, '
        '"registers": [{"quantity": "load_pct", "address": 0, "type": "float32", "unit": "%"}]}]}]')
    assert gateways[0].port == 502 and gateways[0].timeout == 3.0
    assert gateways[0].identity(3) == "10.0.0.5:502:3"
    assert gateways[0].devices[0].registers[0].quantity == "crane_load_pct"
    assert gateways_from_config(None) == [] and gateways_from_config("") == []


@pytest.mark.parametrize(("config", "message"), [
    ("{not json", "MODBUS_GATEWAYS is not valid JSON"),
    ('{"host": "a"}', "MODBUS_GATEWAYS must be a JSON list of gateways"),
    ('[{"port": 502}]', "gateway #0: host is required"),
    ('[{"host": "a", "port": "x"}]', "gateway a: port must be a positive integer, not 'x'"),
    ('[{"host": "a", "devices": [{"unit_id": 300, "registers": []}]}]', "unit_id must be an integer 0..255"),
    ('[{"host": "a", "devices": [{"unit_id": 1, "registers": []}]}]', "gateway a:502 unit 1: registers must be a non-empty list"),
    ('[{"host": "a", "devices": [{"unit_id": 1, "interval": 0, "registers": [{}]}]}]', "interval must be a positive number"),
    ('[{"host": "a", "devices": [{"unit_id": 1, "registers": [{"quantity": "x", "address": 1}]}]}]',
     "gateway a:502 unit 1: unknown quantity 'x'"),
    ('[{"host": "a"}, {"host": "a"}]', "gateway names must be unique"),
])
def test_bad_gateway_configuration(config: str, message: str) -> None:
    with pytest.raises(RegisterMapError, match=message.replace("(", r"\(").replace(")", r"\)")):
        gateways_from_config(config)
