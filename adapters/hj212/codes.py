"""HJ 212 codes Oversite understands: factor codes → canonical quantities, and command codes.

Factor codes follow HJ 212-2017 appendix B (a34001 TSP, a34002 PM10, a34004 PM2.5, a01007
wind speed…); site noise monitors send ``LA``, ``Leq`` or ``NOIS`` (and ``B03``, the
HJ 212-2005 code). Particulates are µg/m³ in the standard's air-quality table.
"""
from __future__ import annotations

# factor code → (canonical quantity, unit the standard gives the value in)
FACTORS: dict[str, tuple[str, str]] = {
    "a34001": ("tsp", "µg/m³"),
    "a34002": ("pm10", "µg/m³"),
    "a34004": ("pm25", "µg/m³"),
    "a01007": ("wind_speed", "m/s"),
    "a01008": ("wind_direction", "°"),
    "a01001": ("temperature", "°C"),
    "a01002": ("humidity", "%"),
    "a01006": ("pressure", "kPa"),
    "LA": ("noise_leq", "dB(A)"),
    "Leq": ("noise_leq", "dB(A)"),
    "NOIS": ("noise_leq", "dB(A)"),
    "B03": ("noise_leq", "dB(A)"),
    "LMx": ("noise_lmax", "dB(A)"),
    "Lmax": ("noise_lmax", "dB(A)"),
}
# Codes whose "-Max" field is the period's maximum sound level (an Lmax reading).
NOISE_CODES = frozenset({"LA", "Leq", "NOIS", "B03"})

# Command codes that carry monitoring data, and the field that holds the value.
DATA_COMMANDS: dict[str, str] = {
    "2011": "Rtd",   # real-time data
    "2051": "Avg",   # minute data
    "2061": "Avg",   # hourly data
    "2031": "Avg",   # daily data
}
HEARTBEAT_COMMANDS = frozenset({"9015"})

# Replies (HJ 212-2017 §6.6): 9011 request answer, 9012 execution result, 9014 data answer.
CN_REQUEST_ANSWER = "9011"
CN_DATA_ANSWER = "9014"
ST_SYSTEM = "91"
# QnRtn values of a 9011 answer.
QNRTN_READY = 1
QNRTN_REFUSED = 2
