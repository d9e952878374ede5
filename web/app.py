"""The application factory: configuration, services, extensions, then the blueprints, in order."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask

from . import converters, db, errors, i18n, navigation, request_guard, security, ui
from .api import alarms as api_alarms
from .api import audit as api_audit
from .api import cases as api_cases
from .api import devices as api_devices
from .api import documents as api_documents
from .api import events as api_events
from .api import enterprises as api_enterprises
from .api import health as api_health
from .api import imports as api_imports
from .api import openapi as api_openapi
from .api import process_models as api_process_models
from .api import project_duties as api_project_duties
from .api import projects as api_projects
from .api import reports as api_reports
from .api import smart_sites as api_smart_sites
from .api import supervision as api_supervision
from .api import tasks as api_tasks
from .api import tokens as api_tokens
from .auth import loading as auth_loading
from .auth import views as auth_views
from .auditor import bp as audit_bp
from .auth.decorators import unauthorized
from .cases import bp as cases_bp
from .config import load_config
from .dashboard import bp as dashboard_bp
from .extensions import limiter, login_manager
from .home import bp as home_bp
from .inbox import bp as inbox_bp
from .modeler import bp as models_bp
from .portal import bp as portal_bp
from .services import EXTENSION_KEY, build_services
from .sites import bp as sites_bp
from .task_page import bp as tasks_bp
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
    api_projects.bp,
    api_enterprises.bp,
    api_imports.bp,
    api_reports.bp,
    api_supervision.bp,
    api_project_duties.bp,
    models_bp,
    inbox_bp,
    tasks_bp,
    cases_bp,
    portal_bp,
    audit_bp,
    dashboard_bp,
    api_devices.bp,
    api_alarms.bp,
    api_smart_sites.bp,
    sites_bp,
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
    converters.init_app(app)
    request_guard.init_app(app)
    app.extensions[EXTENSION_KEY] = build_services(app.config, clock=app.config.get("CLOCK"))

    db.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    navigation.init_app(app)
    ui.init_app(app)
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
    # SpiffWorkflow logs every task state change at INFO: far too much for an operator's log.
    logging.getLogger("spiff").setLevel(logging.WARNING)
