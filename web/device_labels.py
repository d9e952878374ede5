"""Display names of device types, quantities, alarm rules and smart-site applications (translated)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

DEVICE_TYPES = {
    "dust_noise_monitor": _l("Dust and noise monitor"),
    "crane_monitor": _l("Crane safety monitor"),
    "power_meter": _l("Power meter"),
    "water_meter": _l("Water meter"),
    "attendance_gate": _l("Attendance gate"),
    "video": _l("Video camera"),
}
QUANTITIES = {
    "noise_leq": _l("Noise Leq"),
    "noise_lmax": _l("Noise Lmax"),
    "pm10": "PM10",
    "pm25": "PM2.5",
    "tsp": "TSP",
    "wind_speed": _l("Wind speed"),
    "wind_direction": _l("Wind direction"),
    "temperature": _l("Temperature"),
    "humidity": _l("Humidity"),
    "pressure": _l("Air pressure"),
    "crane_load_pct": _l("Crane load ratio"),
    "crane_moment_pct": _l("Crane moment ratio"),
    "crane_load": _l("Crane load"),
    "crane_height": _l("Hook height"),
    "crane_radius": _l("Working radius"),
    "crane_slew": _l("Slew angle"),
    "power_kwh": _l("Energy"),
    "power_kw": _l("Power"),
    "water_m3": _l("Water"),
    "attendance_in": _l("Gate entries"),
    "attendance_out": _l("Gate exits"),
    "heartbeat": _l("Heartbeat"),
}
RULES = {
    "noise_leq": _l("Noise above the limit"),
    "noise_lmax": _l("Night-time noise peak"),
    "pm10_hourly": _l("PM10 hourly mean above the limit"),
    "crane_load": _l("Crane load"),
    "crane_moment": _l("Crane moment"),
    "wind": _l("Wind too strong for work"),
    "offline": _l("Device offline"),
}
ALARM_STATUSES = {"open": _l("Unacknowledged"), "acknowledged": _l("Acknowledged"), "cleared": _l("Cleared")}
SEVERITIES = {"warning": _l("Pre-warning"), "alarm": _l("Alarm")}
APPLICATIONS = {
    "remote_video": _l("Remote video monitoring"),
    "real_name_attendance": _l("Real-name attendance"),
    "dust_noise_monitoring": _l("Dust and noise monitoring"),
    "wage_account": _l("Wage account management"),
    "crane_safety_monitoring": _l("Crane safety monitoring"),
    "quality_safety_supervision": _l("Quality and safety supervision"),
    "quality_testing_supervision": _l("Quality testing supervision"),
    "power_water_monitoring": _l("Power and water monitoring"),
    "hazardous_works_management": _l("Hazardous works management"),
    "bim": _l("BIM in construction"),
    "government_coordination": _l("Government coordination"),
}


def label(table: dict[str, object], key: str) -> str:
    return str(table.get(key, key))
