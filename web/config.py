"""Configuration: defaults, then ``OVERSITE_*`` environment variables, then the test override.

Every setting the application reads is listed in :data:`DEFAULTS` (the README's configuration
table is generated from the same names). Values marked *local* in ``DOMAIN.md`` are per-city
policy: they live here as defaults and are never constants in code.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

ENV_PREFIX = "OVERSITE"
ENVIRONMENTS = ("development", "production")
SECRET_KEY_FILE = "secret_key"
MIN_SECRET_KEY_LENGTH = 24

# Ningbo's districts in the order the bureau publishes them (seed 000, attachments 1 and 2).
NINGBO_DISTRICTS = [
    "市本级", "海曙区", "江北区", "镇海区", "北仑区", "鄞州区", "奉化区",
    "余姚市", "慈溪市", "宁海县", "象山县", "前湾新区", "高新区",
]

# Platform settings. ``None`` means "unset": DATABASE_URL is derived from DATA_DIR,
# SECRET_KEY is required in production and generated (and persisted) in development.
PLATFORM_DEFAULTS: dict[str, Any] = {
    "ENV": "development",
    "DATA_DIR": "./var",
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    "S3_ENDPOINT": None,
    "S3_ACCESS_KEY": None,
    "S3_SECRET_KEY": None,
    "S3_BUCKET": "oversite",
    "S3_SECURE": False,
    "MQTT_URL": None,
    # Device ingest (`oversite ingest`, docs/ingest.md). MQTT runs when MQTT_URL is set.
    "MQTT_CLIENT_ID": None,  # fixed per ingest process; default oversite-ingest-<hostname>
    "MQTT_SHARE_GROUP": "oversite-ingest",  # $share group splitting the load ("" = no sharing)
    "MQTT_SESSION_EXPIRY_SECONDS": 7 * 24 * 3600,
    "MQTT_RECEIVE_MAXIMUM": 2000,  # unacknowledged messages in flight, at least INGEST_BATCH_SIZE
    "MQTT_COMMIT_PROCESS": True,  # parse and commit MQTT batches in a child process (another core)
    "INGEST_BATCH_SIZE": 500,
    "INGEST_BATCH_MS": 200,
    "HJ212_HOST": "0.0.0.0",
    "HJ212_PORT": 9212,  # 0 disables the HJ 212 listener
    "HJ212_IDLE_SECONDS": 300.0,
    # Modbus gateways polled besides the registry's Modbus devices (JSON, adapters/modbus/config.py).
    "MODBUS_GATEWAYS": [],
    "MODBUS_TIMEOUT_SECONDS": 3.0,
    "MODBUS_POLL_SECONDS": 10,  # for devices without their own interval
    "MODBUS_REFRESH_SECONDS": 300,  # how often the registry's device list is re-read
    "TASK_BUDGET": 500,
    # How long a request (or the worker) waits for a record another transaction holds before
    # answering "busy, try again" (503), below the web server's 120 s request timeout.
    "LOCK_TIMEOUT_SECONDS": 15,
    "MAX_UPLOAD_BYTES": 20 * 1024 * 1024,
    # Room for the multipart envelope (boundaries, headers, the other form fields) so that a
    # file just over MAX_UPLOAD_BYTES is refused by the document store with a precise message.
    "UPLOAD_OVERHEAD_BYTES": 64 * 1024,
    "TIMEZONE": "Asia/Shanghai",
    "DEFAULT_LOCALE": "zh_CN",
    "LOCALES": ["zh_CN", "en"],
    "LOGIN_RATE_LIMIT": "10 per minute",
    # Random bytes in an API token (the token is their URL-safe base64 form).
    "TOKEN_BYTES": 32,
    "SESSION_LIFETIME_HOURS": 8,
    "TIMER_POLL_SECONDS": 5,
    "OUTBOX_POLL_SECONDS": 2,
    "ADMIN_PASSWORD": None,
    # Password of the demo users `oversite demo` creates (development mode only).
    "DEMO_PASSWORD": "oversite-demo",
    # Number of reverse proxies in front of the web processes whose X-Forwarded-* to trust.
    "TRUSTED_PROXIES": 0,
    # Where `npm install` put the front-end packages served under /static/vendor/.
    "NODE_MODULES_DIR": str(Path(__file__).resolve().parent.parent / "node_modules"),
    "CONTENT_SECURITY_POLICY": (
        "default-src 'self'; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'self'; form-action 'self'"
    ),
}

# Domain policy (DOMAIN.md). Names follow the DOMAIN wording; every value is a local default.
POLICY_DEFAULTS: dict[str, Any] = {
    "DISTRICTS": NINGBO_DISTRICTS,
    # §1.1 supervision
    "MIN_INSPECTORS_PER_INSPECTION": 2,
    "RECTIFICATION_DEADLINE_DAYS": 7,
    "COMPLETION_NOTICE_WORKING_DAYS": 7,
    "SUPERVISION_REPORT_DAYS": 5,
    "ACCEPTANCE_FILING_DAYS": 15,
    # Days each supervision step may take before it is overdue. DOMAIN gives no figures for
    # these: placeholders to set per city. reminder_grace: after an overdue rectification's
    # reminder, the days left before it is escalated to the district admin.
    "SUPERVISION_TASK_DAYS": {
        "assignment": 3, "briefing": 14, "inspection": 30, "review": 3, "escalation": 3,
        "reminder_grace": 3, "acceptance_notice": 60,
    },
    # Document numbers: 甬建监（海曙）整〔2026〕第0001号, one series per district, kind and year.
    "SUPERVISION_DOC_PREFIX": "甬建监",
    # The issuing body printed in the signature block of supervision documents.
    "SUPERVISION_AUTHORITY": "宁波市住房和城乡建设局",
    # Inbox (issue 4): open tasks due within this many days are highlighted as near due.
    "INBOX_NEAR_DUE_DAYS": 2,
    # §1.2 project duties
    "SELF_INSPECTIONS_PER_WEEK": 1,
    # Default deadline of a self-inspection's findings when the inspector gives none.
    "SELF_RECTIFICATION_DEADLINE_DAYS": 7,
    # An overdue self-rectification (closed loop like §1.1 (5)): the reply is asked for again
    # with this many days of grace (催告); still overdue, the district admin has this many days
    # to decide (逾期处置). Placeholders to set per city, as the supervision task days.
    "SELF_RECTIFICATION_GRACE_DAYS": 3,
    "SELF_RECTIFICATION_ESCALATION_DAYS": 3,
    # The parties that file a daily log each working day.
    "DAILY_LOG_PARTIES": ["contractor", "supervisor"],
    # Working days are Monday to Friday minus HOLIDAYS plus EXTRA_WORKING_DAYS (调休上班);
    # ISO dates or ISO intervals. Defaults: the State Council's notices for 2025 and 2026 (国务院
    # 办公厅关于部分节假日安排的通知); add each new year's notice.
    "HOLIDAYS": [
        "2025-01-01", "2025-01-28/2025-02-04", "2025-04-04/2025-04-06", "2025-05-01/2025-05-05",
        "2025-05-31/2025-06-02", "2025-10-01/2025-10-08",
        "2026-01-01/2026-01-03", "2026-02-15/2026-02-23", "2026-04-04/2026-04-06",
        "2026-05-01/2026-05-05", "2026-06-19/2026-06-21", "2026-09-25/2026-09-27",
        "2026-10-01/2026-10-07",
    ],
    "EXTRA_WORKING_DAYS": [
        "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
        "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
    ],
    # §1.4 credit
    "GOOD_RECORD_PUBLIC_YEARS": 3,
    "BAD_RECORD_MIN_PUBLIC_MONTHS": 6,
    "BAD_RECORD_MAX_PUBLIC_MONTHS": 36,
    "CREDIT_BONUS_GROWTH_PERCENT": 20,
    "CREDIT_BONUS_MIN_GROWTH_CNY": "100000000",
    "CREDIT_REPAIR_MIN_MONTHS": {"minor": 0, "general": 3, "severe": 12},
    "CREDIT_REPAIR_MAX_PUBLIC_MONTHS": {"minor": 3, "general": 12, "severe": 36},
    "CREDIT_UNREPAIRABLE_CATEGORIES": [],
    # DOMAIN gives no figure for these two; they are placeholders to set per city.
    "CREDIT_REPAIR_ACCEPT_WORKING_DAYS": 3,
    "CREDIT_REPAIR_DECISION_WORKING_DAYS": 7,
    # §1.5 public resource trading
    "TENDER_MIN_DAYS_TO_DEADLINE": 20,
    "MIN_BIDS_FOR_OPENING": 3,
    "BID_DECRYPTION_WINDOW_MINUTES": 30,
    "BID_BOND_MAX_PERCENT": 2,
    "BID_BOND_SME_THRESHOLD_CNY": "800000000",
    "EVALUATION_COMMITTEE_MIN_SIZE": 5,
    "EVALUATION_EXPERT_MIN_FRACTION": "2/3",
    "CREDIT_PRICE_CANDIDATES": 5,
    "CANDIDATE_PUBLICITY_DAYS": 3,
    "PUBLICITY_PUBLISH_WITHIN_DAYS": 3,
    "OBJECTION_ANSWER_DAYS": 3,
    # §1.6 smart construction sites
    "NOISE_DAY_LIMIT_DBA": 70,
    "NOISE_NIGHT_LIMIT_DBA": 55,
    "NOISE_NIGHT_LMAX_EXCESS_DBA": 15,
    "NOISE_DAY_START": "06:00",
    "NOISE_DAY_END": "22:00",
    "DUST_PM10_LIMIT_UGM3": 150,
    "CRANE_PREWARNING_PERCENT": 90,
    "CRANE_CUTOFF_PERCENT": 100,
    "CRANE_WIND_STOP_MS": "13.8",
    # Devices and alarms. DOMAIN gives no figures for these: placeholders to set per city.
    "DEVICE_OFFLINE_MINUTES": 30,          # not heard from for longer → offline (alarm)
    "DEVICE_OFFLINE_CHECK_SECONDS": 60,    # how often the worker looks for offline devices
    "ALARM_CLEAR_AFTER_MINUTES": 30,       # readings normal this long after the last breach → cleared
    "READING_MAX_FUTURE_MINUTES": 5,       # device clocks run ahead; further ahead is refused
    "READING_MAX_AGE_DAYS": 30,            # older readings (a stale buffer replayed) are refused
    # Quantities the platform stores: canonical unit and the physically possible range; a
    # reading outside its range, in another unit or of an unknown quantity is refused.
    "READING_QUANTITIES": {
        "noise_leq": {"unit": "dB(A)", "min": 0, "max": 150},
        "noise_lmax": {"unit": "dB(A)", "min": 0, "max": 160},
        "pm10": {"unit": "µg/m³", "min": 0, "max": 20000},
        "pm25": {"unit": "µg/m³", "min": 0, "max": 20000},
        "tsp": {"unit": "µg/m³", "min": 0, "max": 50000},
        "wind_speed": {"unit": "m/s", "min": 0, "max": 100},
        "wind_direction": {"unit": "°", "min": 0, "max": 360},
        "temperature": {"unit": "°C", "min": -60, "max": 80},
        "humidity": {"unit": "%", "min": 0, "max": 100},
        "pressure": {"unit": "kPa", "min": 30, "max": 120},
        "crane_load_pct": {"unit": "%", "min": 0, "max": 300},
        "crane_moment_pct": {"unit": "%", "min": 0, "max": 300},
        "crane_load": {"unit": "t", "min": 0, "max": 1000},
        "crane_height": {"unit": "m", "min": -50, "max": 500},
        "crane_radius": {"unit": "m", "min": 0, "max": 200},
        "crane_slew": {"unit": "°", "min": -720, "max": 720},
        "power_kwh": {"unit": "kWh", "min": 0, "max": 1e12},
        "power_kw": {"unit": "kW", "min": -1e6, "max": 1e6},
        "water_m3": {"unit": "m³", "min": 0, "max": 1e12},
        "attendance_in": {"unit": "count", "min": 0, "max": 1e6},
        "attendance_out": {"unit": "count", "min": 0, "max": 1e6},
        "heartbeat": {"unit": "", "min": 0, "max": 1},
    },
    "DEVICE_ALARM_PROCESS_KEY": "device_alarm",  # started when no case caught the device_alarm signal
    "DEVICE_ALARM_RECTIFY_HOURS": 24,      # the contractor's deadline; overdue → escalated
    "DEVICE_ALARM_VERIFY_HOURS": 72,       # the inspector's verification
    # Seed 004 §3(3): the star level a newly started project (by construction start) must reach,
    # by phase. A tier applies when floor area OR contract value reaches its minimum;
    # "districts" null means citywide (2020: the central urban districts only). 2022 does not
    # restate the one-star tier: the 2021 one is kept. three_star_min_percent is the share of
    # the phase's new projects each district should bring to three stars.
    "SMART_SITE_PHASES": [
        {"name": "2020", "from": "2020-01-01", "until": "2020-12-31", "districts": ["海曙区", "江北区", "鄞州区"],
         "tiers": [{"stars": 1, "min_floor_area_m2": 5000, "min_contract_value_cny": "50000000"}]},
        {"name": "2021", "from": "2021-01-01", "until": "2021-12-31", "districts": None,
         "tiers": [{"stars": 1, "min_floor_area_m2": 5000, "min_contract_value_cny": "20000000"},
                   {"stars": 2, "min_floor_area_m2": 100000, "min_contract_value_cny": "200000000"}]},
        {"name": "2022", "from": "2022-01-01", "until": None, "districts": None, "three_star_min_percent": 5,
         "tiers": [{"stars": 1, "min_floor_area_m2": 5000, "min_contract_value_cny": "20000000"},
                   {"stars": 2, "min_floor_area_m2": 50000, "min_contract_value_cny": "100000000"}]},
    ],
}

DEFAULTS: dict[str, Any] = {**PLATFORM_DEFAULTS, **POLICY_DEFAULTS}

# Settings that must stay strings even when the environment value looks like JSON
# (``OVERSITE_SECRET_KEY=123`` must not become the integer 123).
STRING_KEYS = frozenset({
    "SECRET_KEY", "DATABASE_URL", "DATA_DIR", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY",
    "S3_BUCKET", "MQTT_URL", "MQTT_CLIENT_ID", "MQTT_SHARE_GROUP", "HJ212_HOST", "ADMIN_PASSWORD", "DEVICE_ALARM_PROCESS_KEY", "SUPERVISION_DOC_PREFIX", "SUPERVISION_AUTHORITY", "DEMO_PASSWORD", "LOGIN_RATE_LIMIT", "TIMEZONE", "DEFAULT_LOCALE",
    "CREDIT_BONUS_MIN_GROWTH_CNY", "BID_BOND_SME_THRESHOLD_CNY", "CRANE_WIND_STOP_MS",
})
# Money and measurements are kept as strings in the defaults (JSON-safe) and read as Decimal.
DECIMAL_KEYS = frozenset({"CREDIT_BONUS_MIN_GROWTH_CNY", "BID_BOND_SME_THRESHOLD_CNY", "CRANE_WIND_STOP_MS"})


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which variable to set and how."""


def load_config(app: Flask, test_config: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config``: defaults, then ``OVERSITE_*`` variables, then ``test_config``.

    Raises:
        ConfigError: a value has the wrong type, ``ENV`` is unknown, or production mode has
            no explicit ``SECRET_KEY``.
    """
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(ENV_PREFIX)
    for key in STRING_KEYS:
        # from_prefixed_env parses JSON ("true" → True); these keep the exact text given.
        raw = os.environ.get(f"{ENV_PREFIX}_{key}")
        if raw is not None:
            app.config[key] = raw
    if test_config:
        app.config.from_mapping(test_config)
    cfg = app.config
    _coerce(cfg)
    if cfg["ENV"] not in ENVIRONMENTS:
        raise ConfigError(f"{ENV_PREFIX}_ENV must be one of {', '.join(ENVIRONMENTS)}, not {cfg['ENV']!r}")
    cfg["DATA_DIR"] = str(Path(cfg["DATA_DIR"]).expanduser().resolve())
    if not cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = f"sqlite:///{Path(cfg['DATA_DIR']) / 'oversite.sqlite3'}"
    cfg["SECRET_KEY"] = _secret_key(cfg)
    _derive_flask_settings(cfg, explicit=_explicit_keys(test_config))


def is_production(config: Mapping[str, Any]) -> bool:
    return config.get("ENV") == "production"


def policy_decimal(config: Mapping[str, Any], key: str) -> Decimal:
    """A money or measurement policy value as Decimal (never float)."""
    return Decimal(str(config[key]))


def _coerce(cfg: dict[str, Any]) -> None:
    for key in STRING_KEYS:
        if cfg.get(key) is not None and not isinstance(cfg[key], str):
            cfg[key] = str(cfg[key])
    for key, default in DEFAULTS.items():
        value = cfg.get(key)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{ENV_PREFIX}_{key} must be true or false, not {value!r}")
        elif isinstance(default, int) and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{ENV_PREFIX}_{key} must be an integer, not {value!r}")
    if cfg["TOKEN_BYTES"] < 16:
        raise ConfigError(f"{ENV_PREFIX}_TOKEN_BYTES must be at least 16")
    if not 1 <= cfg["LOCK_TIMEOUT_SECONDS"] <= 110:
        raise ConfigError(f"{ENV_PREFIX}_LOCK_TIMEOUT_SECONDS must be between 1 and 110 (the web server gives a "
                          "request 120 s)")
    for key in DECIMAL_KEYS:
        try:
            Decimal(str(cfg[key]))
        except ArithmeticError as exc:
            raise ConfigError(f"{ENV_PREFIX}_{key} must be a decimal number, not {cfg[key]!r}") from exc


def _secret_key(cfg: Mapping[str, Any]) -> str:
    key = cfg.get("SECRET_KEY")
    if key and is_production(cfg) and len(str(key)) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"{ENV_PREFIX}_SECRET_KEY is too short: production needs at least "
                          f"{MIN_SECRET_KEY_LENGTH} random characters")
    if key:
        return str(key)
    if is_production(cfg):
        raise ConfigError(
            f"{ENV_PREFIX}_SECRET_KEY is not set: production mode needs an explicit secret key "
            f"(for example: export {ENV_PREFIX}_SECRET_KEY=$(python -c "
            "'import secrets; print(secrets.token_urlsafe(48))'))"
        )
    # Development: one random key per data directory, kept so sessions survive restarts.
    path = Path(cfg["DATA_DIR"]) / SECRET_KEY_FILE
    if path.exists():
        stored = path.read_text(encoding="utf-8").strip()
        if stored:
            return stored
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(generated + "\n")
    return generated


def _explicit_keys(test_config: Mapping[str, Any] | None) -> set[str]:
    keys = {k.removeprefix(ENV_PREFIX + "_") for k in os.environ if k.startswith(ENV_PREFIX + "_")}
    return keys | set(test_config or ())


def _derive_flask_settings(cfg: dict[str, Any], explicit: set[str]) -> None:
    """Translate Oversite settings into the names Flask and its extensions read."""
    cfg["MAX_CONTENT_LENGTH"] = cfg["MAX_UPLOAD_BYTES"] + cfg["UPLOAD_OVERHEAD_BYTES"]
    cfg["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=cfg["SESSION_LIFETIME_HOURS"])
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    if "SESSION_COOKIE_SECURE" not in explicit:
        # Production sits behind an HTTPS proxy; development runs on plain http://127.0.0.1.
        cfg["SESSION_COOKIE_SECURE"] = is_production(cfg)
    cfg["BABEL_DEFAULT_LOCALE"] = cfg["DEFAULT_LOCALE"]
    cfg["BABEL_DEFAULT_TIMEZONE"] = cfg["TIMEZONE"]
    cfg["RATELIMIT_STORAGE_URI"] = "memory://"
    cfg["RATELIMIT_HEADERS_ENABLED"] = True
    # CSRF is checked by web.security for cookie-authenticated requests only.
    cfg["WTF_CSRF_CHECK_DEFAULT"] = False
    cfg["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as the session
