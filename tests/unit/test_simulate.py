"""Simulated devices: deterministic per seed, realistic, with breaches and faults."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from adapters.hj212 import FrameError, frame_readings, parse_frame
from adapters.modbus import spec_from_mapping
from adapters.mqtt import PayloadRefused, message_readings
from adapters.simulate import MODBUS_MAP, hj212_frame, initial_state, modbus_registers, mqtt_message, plan

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def stream(seed: int, count: int = 300) -> list[object]:
    out: list[object] = []
    for device in plan(2, seed):
        state = initial_state(device, seed)
        for n in range(count):
            now = T0 + timedelta(seconds=n)
            if device.protocol == "mqtt":
                out.append(mqtt_message(state, now))
            elif device.protocol == "hj212":
                out.append(hj212_frame(state, now))
            else:
                out.append(modbus_registers(state))
    return out


def test_plan_has_one_device_per_protocol_path_per_project() -> None:
    devices = plan(3, seed=7)
    assert len(devices) == 12
    assert {d.protocol for d in devices} == {"mqtt", "hj212", "modbus"}
    assert all(len(d.identity) <= 24 for d in devices)
    assert len({d.identity for d in devices}) == 12


def test_same_seed_same_messages_other_seed_other_messages() -> None:
    assert stream(5) == stream(5)
    assert stream(5) != stream(6)


def test_messages_parse_with_breaches_and_faults_sprinkled_in() -> None:
    readings, refusals, breaches, silent = 0, 0, 0, 0
    for device in plan(4, seed=3):
        state = initial_state(device, 3)
        for n in range(2000):
            now = T0 + timedelta(seconds=n)
            if device.protocol == "modbus":
                continue
            try:
                if device.protocol == "mqtt":
                    message = mqtt_message(state, now)
                    if message is None:
                        silent += 1
                        continue
                    got, _ = message_readings(*message)
                else:
                    frame = hj212_frame(state, now)
                    if frame is None:
                        silent += 1
                        continue
                    got, _ = frame_readings(parse_frame(frame))
            except (PayloadRefused, FrameError):
                refusals += 1
                continue
            readings += len(got)
            breaches += sum(1 for r in got if (r.quantity == "pm10" and r.value > 150)
                            or (r.quantity == "noise_leq" and r.value > 70)
                            or (r.quantity == "crane_load_pct" and r.value >= 90))
    assert readings > 40_000
    assert 100 < refusals < 600      # ~1 % bad CRC / malformed JSON of 24,000 messages
    assert 100 < breaches < 1500     # ~2 % of messages carry a breach
    assert silent > 0                # some offline periods


def test_modbus_registers_decode_with_the_published_map() -> None:
    state = initial_state(plan(1)[3], 1)
    specs = [spec_from_mapping(entry) for entry in MODBUS_MAP]
    first, second = modbus_registers(state), modbus_registers(state)
    kw = specs[0].decode(first[0:2])
    assert 10 <= kw <= 400
    assert specs[1].decode(second[2:4]) > specs[1].decode(first[2:4])  # the energy counter grows
