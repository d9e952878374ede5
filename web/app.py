"""The application factory: configuration, services, extensions, then the blueprints, in order."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask

from . import db, errors, i18n, navigation, security
from .api import audit as api_audit
from .api import cases as api_cases
from .api import documents as api_documents
from .api import events as api_events
from .api import health as api_health
from .api import openapi as api_openapi
from .api import process_models as api_process_models
from .api import tasks as api_tasks
from .api import tokens as api_tokens
from .auth import loading as auth_loading
from .auth import views as auth_views
from .auth.decorators import unauthorized
from .config import load_config
from .extensions import limiter, login_manager
from .home import bp as home_bp
from .services import EXTENSION_KEY, build_services
from .vendor import bp as vendor_bp

# Every blueprint the app serves, explicitly (STYLE 8). Add new ones here.
BLUEPRINTS: tuple[Blueprint, ...] = (
    home_bp,
    auth_views.bp,
    vendor_bp,
    api_openapi.bp,
    api_health.bp,
    api_tokens.bp,
    api_documents.bp,
    api_audit.bp,
    api_process_models.bp,
    api_cases.bp,
    api_tasks.bp,
    api_events.bp,
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Oversite web application.

    Args:
        test_config: settings applied last, over defaults and ``OVERSITE_*`` variables. A
            ``CLOCK`` entry (an ``engine.clock.Clock``) replaces the system clock.

    Raises:
        web.config.ConfigError: the configuration is unusable (e.g. production without
            ``OVERSITE_SECRET_KEY``).
    """
    app = Flask(__name__)
    load_config(app, test_config)
    _configure_logging(app)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION_KEY] = build_services(app.config, clock=app.config.get("CLOCK"))

    db.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    navigation.init_app(app)
    auth_loading.init_app(app)
    login_manager.unauthorized_handler(unauthorized)
    limiter.init_app(app)
    errors.init_app(app)

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
