"""The project-duties family (DOMAIN §1.2): its models, forms, operations and calendar jobs."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from workflows.family import ProcessFamily, Registries

from . import acceptance, daily_log, initialization, self_inspection, suggestions
from .demo import seed_demo
from .duty_checks import DAILY_LOG_CHECK_CRON, SELF_INSPECTION_CHECK_CRON, DutyChecks
from .forms import FORMS
from .policy import policy_from

BPMN_DIR = Path(__file__).parent  # shipped *.bpmn, generated from src/ by `make layout`

OPERATIONS: dict[str, Callable[..., Any]] = {
    "project.submit_initialization": initialization.submit_initialization,
    "project.review_initialization": initialization.review_initialization,
    "project.reopen_initialization": initialization.reopen_initialization,
    "project.record_daily_log": daily_log.record_daily_log,
    "project.record_self_inspection": self_inspection.record_self_inspection,
    "project.open_self_rectification": self_inspection.open_self_rectification,
    "project.record_self_rectification": self_inspection.record_self_rectification,
    "project.verify_self_rectification": self_inspection.verify_self_rectification,
    "project.remind_self_rectification": self_inspection.remind_self_rectification,
    "project.escalate_self_rectification": self_inspection.escalate_self_rectification,
    "project.record_acceptance": acceptance.record_acceptance,
    "project.submit_suggestion": suggestions.submit_suggestion,
    "project.answer_suggestion": suggestions.answer_suggestion,
}


def _summary(func: Callable[..., Any]) -> str:
    return (func.__doc__ or "").strip().splitlines()[0]


def register(registries: Registries) -> None:
    """Register the forms, the ``project.*`` operations (bound to the policy) and the two checks.

    Raises:
        workflows.project.policy.PolicyError: a project-duty setting is missing or unusable.
    """
    policy = policy_from(registries.config)
    for key, (schema, title, title_en) in FORMS.items():
        registries.forms.register(key, schema, title, title_en)
    for name, func in OPERATIONS.items():
        registries.services.register(name, partial(func, policy=policy), _summary(func))
    checks = DutyChecks(policy)
    registries.jobs.register("project.daily_log_check", checks.daily_log_check, DAILY_LOG_CHECK_CRON)
    registries.jobs.register("project.self_inspection_check", checks.self_inspection_check,
                             SELF_INSPECTION_CHECK_CRON)


FAMILY = ProcessFamily(name="project", bpmn_dir=BPMN_DIR, register=register, seed_demo=seed_demo)
