"""Simulated smart-site devices: what they send, deterministically from a seed.

Each project gets four devices, one per protocol path the platform ingests:

- ``DN1``: a dust & noise monitor publishing JSON over MQTT (``oversite/{project}/DN1/readings``);
- ``CR1``: a tower-crane monitor publishing JSON over MQTT (load, moment, wind);
- ``HJ1``: a dust monitor speaking HJ 212-2017 over TCP (MN ``SIM…``);
- ``PW1``: a power meter polled over Modbus (float32 kW and kWh at holding registers 0–3).

Values follow slow random walks around realistic levels. Occasionally a device breaches a
limit (PM10 well over 150 µg/m³, noise over 70 dB(A), crane load 92–108 %, wind ≥ 13.8 m/s),
sends a frame with a bad CRC or malformed JSON, or goes silent for a while. The same seed
gives the same devices and the same sequence of messages.
"""
from __future__ import annotations

import json
import random
import struct
from dataclasses import dataclass, field
from datetime import datetime

from .hj212.convert import format_beijing
from .hj212.frame import encode_frame

FAULT_BAD_CRC = 0.01       # share of HJ 212 frames sent with a wrong CRC
FAULT_BAD_JSON = 0.01      # share of MQTT messages sent as malformed JSON
BREACH = 0.02              # share of messages carrying a breach
OFFLINE = 0.002            # chance per message that the device then goes silent
OFFLINE_MESSAGES = (20, 200)  # how many of its turns a silent device skips


@dataclass(frozen=True)
class SimDevice:
    """One simulated device and how the platform knows it."""

    project_code: str
    code: str
    kind: str       # "dust_noise", "crane", "hj212_dust", "power"
    protocol: str   # "mqtt", "hj212", "modbus"
    identity: str   # MQTT project/code, HJ 212 MN, or Modbus unit id (as text)
    device_type: str  # storage.devices.DeviceType value


@dataclass
class _Walk:
    value: float
    low: float
    high: float
    step: float

    def next(self, rng: random.Random) -> float:
        self.value = min(self.high, max(self.low, self.value + rng.uniform(-self.step, self.step)))
        return self.value


@dataclass
class DeviceState:
    """The evolving state of one simulated device (its own random stream)."""

    device: SimDevice
    rng: random.Random
    walks: dict[str, _Walk] = field(default_factory=dict)
    silent_turns: int = 0
    sent: int = 0


def plan(projects: int, seed: int = 1) -> list[SimDevice]:
    """The devices of ``projects`` simulated projects (codes ``SIM001``, ``SIM002``…)."""
    devices = []
    for i in range(1, projects + 1):
        code = f"SIM{i:03d}"
        devices += [
            SimDevice(code, "DN1", "dust_noise", "mqtt", f"{code}/DN1", "dust_noise_monitor"),
            SimDevice(code, "CR1", "crane", "mqtt", f"{code}/CR1", "crane_monitor"),
            SimDevice(code, "HJ1", "hj212_dust", "hj212", f"SIM{seed % 1000:03d}{i:06d}".ljust(24, "0"),
                      "dust_noise_monitor"),
            SimDevice(code, "PW1", "power", "modbus", str(i), "power_meter"),
        ]
    return devices


def initial_state(device: SimDevice, seed: int) -> DeviceState:
    """A device's state; its random stream depends only on the seed and its identity."""
    rng = random.Random(f"{seed}:{device.project_code}:{device.code}")
    walks = {
        "dust_noise": {"pm10": _Walk(60, 20, 140, 6), "pm25": _Walk(35, 10, 90, 4),
                       "noise": _Walk(58, 45, 68, 2), "wind_speed": _Walk(3, 0, 12, 0.6)},
        "crane": {"load_pct": _Walk(45, 5, 88, 5), "moment_pct": _Walk(50, 5, 88, 5),
                  "wind_speed": _Walk(4, 0, 12, 0.6)},
        "hj212_dust": {"a34002": _Walk(70, 20, 140, 6), "a34004": _Walk(40, 10, 90, 4),
                       "LA": _Walk(57, 45, 68, 2)},
        "power": {"kw": _Walk(120, 10, 400, 15)},
    }[device.kind]
    for walk in walks.values():
        walk.value = rng.uniform(walk.low, walk.high)
    return DeviceState(device, rng, walks)


def _values(state: DeviceState) -> dict[str, float]:
    values = {name: round(walk.next(state.rng), 1) for name, walk in state.walks.items()}
    if state.rng.random() < BREACH:
        name = state.rng.choice(list(values))
        breach = {"pm10": (180, 600), "a34002": (180, 600), "noise": (72, 90), "LA": (72, 90),
                  "load_pct": (92, 108), "moment_pct": (92, 108), "wind_speed": (13.8, 20)}.get(name)
        if breach is not None:
            values[name] = round(state.rng.uniform(*breach), 1)
    return values


def _goes_silent(state: DeviceState) -> bool:
    """True when the device skips this turn (an offline period)."""
    if state.silent_turns > 0:
        state.silent_turns -= 1
        return True
    if state.rng.random() < OFFLINE:
        state.silent_turns = state.rng.randint(*OFFLINE_MESSAGES)
    return False


def mqtt_message(state: DeviceState, now: datetime) -> tuple[str, bytes] | None:
    """The next JSON message of an MQTT device, or None while it is offline."""
    if _goes_silent(state):
        return None
    state.sent += 1
    topic = f"oversite/{state.device.identity}/readings"
    if state.rng.random() < FAULT_BAD_JSON:
        return topic, b'{"ts": "' + now.isoformat().encode() + b'", "values": {"pm10": 8'
    body = {"ts": now.isoformat(timespec="milliseconds"), "id": f"{state.device.code}-{state.sent}",
            "values": _values(state)}
    return topic, json.dumps(body, separators=(",", ":")).encode()


def hj212_frame(state: DeviceState, now: datetime) -> bytes | None:
    """The next real-time data frame (CN 2011, answer requested) of an HJ 212 device, or None."""
    if _goes_silent(state):
        return None
    state.sent += 1
    values = _values(state)
    cp = ";".join(f"{code}-Rtd={value},{code}-Flag=N" for code, value in values.items())
    segment = (f"QN={format_beijing(now, with_millis=True)};ST=22;CN=2011;PW=123456;MN={state.device.identity};"
               f"Flag=5;CP=&&DataTime={format_beijing(now)};{cp}&&")
    frame = encode_frame(segment)
    if state.rng.random() < FAULT_BAD_CRC:
        frame = frame[:-6] + b"0000\r\n"
    return frame


def modbus_registers(state: DeviceState) -> list[int]:
    """The power meter's holding registers 0–3: float32 kW, then float32 kWh (big-endian)."""
    kw = _values(state)["kw"]
    state.sent += 1
    kwh = 1000.0 + state.sent * kw / 360.0  # energy keeps counting up
    raw = struct.pack(">ff", kw, kwh)
    return [int.from_bytes(raw[i:i + 2], "big") for i in range(0, 8, 2)]


MODBUS_MAP = [
    {"quantity": "power_kw", "address": 0, "data_type": "float32", "unit": "kW"},
    {"quantity": "power_kwh", "address": 2, "data_type": "float32", "unit": "kWh"},
]
