"""Smart-site devices (DOMAIN §1.6): registry, readings, alarm rules, alarm cases, star rating."""
from .alarm_cases import ALARM_SIGNAL, OUTBOX_KIND, AlarmCaseHandler, build_alarm_case_handler
from .family import FAMILY
from .ingest import DeviceReadingSink, build_reading_sink, ingest_batch
from .policy import DevicePolicy

__all__ = [
    "ALARM_SIGNAL", "OUTBOX_KIND", "AlarmCaseHandler", "DevicePolicy", "DeviceReadingSink", "FAMILY",
    "build_alarm_case_handler",
    "build_reading_sink", "ingest_batch",
]
