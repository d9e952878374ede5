"""``/sites/<project_id>``: one construction site's devices, latest readings, 24-hour charts, alarms.

Whoever may read the project sees its site (its enterprises, the district's staff). The
charts (ECharts, drawn by ``static/site.js``) show the hourly means of the last 24 hours, one
chart per quantity and one line per device; the figures come from the page itself.
"""
from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from workflows.devices.access import readable_project
from workflows.devices.queries import chart_series, site_list, site_view
from workflows.devices.star_rating import Phase, rate_projects
from storage import SMART_SITE_APPLICATIONS

from . import device_labels as labels
from .api.devices import device_policy
from .auth.decorators import login_required
from .auth.principal import current_actor
from .db import get_session
from .services import current_services

bp = Blueprint("sites", __name__)


@bp.get("/sites")
@login_required
def index() -> ResponseReturnValue:
    """The sites with registered devices the caller may read: devices online, active alarms."""
    now = current_services().clock.now()
    with get_session() as session:
        rows = site_list(session, current_actor(), now, device_policy().offline_after)
        return render_template("sites/index.html", rows=rows)


def _charts(series: list[dict[str, Any]], units: dict[str, str]) -> list[dict[str, Any]]:
    by_quantity: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in series:
        by_quantity[s["quantity"]].append({"name": s["device"], "points": s["points"]})
    return [{"quantity": q, "title": labels.label(labels.QUANTITIES, q), "unit": units.get(q, ""),
             "data": json.dumps({"unit": units.get(q, ""), "series": lines}, ensure_ascii=False)}
            for q, lines in sorted(by_quantity.items())]


@bp.get("/sites/<int:project_id>")
@login_required
def show(project_id: int) -> ResponseReturnValue:
    services = current_services()
    policy = device_policy()
    now = services.clock.now()
    with get_session() as session:
        project = readable_project(session, current_actor(), project_id)
        view = site_view(session, project_id, now)
        phases = [Phase.from_config(p) for p in policy.smart_site_phases]
        (rating,) = rate_projects(session, [project], now, policy, phases)
        units = {spec_name: spec.unit for spec_name, spec in policy.quantities.items()}
        devices = {d.id: d for d in view.devices}
        latest: dict[int, list[Any]] = defaultdict(list)
        for row in view.latest:
            latest[row.device_id].append(row)
        return render_template(
            "sites/site.html", project=project, view=view, devices=devices, latest=latest,
            online={d.id: d.is_online(now, policy.offline_after) for d in view.devices},
            charts=_charts(chart_series(view, view.devices), units), rating=rating,
            applications=SMART_SITE_APPLICATIONS, labels=labels,
            case_link="cases.show" in current_app.view_functions)
