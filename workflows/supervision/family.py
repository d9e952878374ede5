"""The supervision process family: its models, forms and service operations (DOMAIN §1.1).

Process keys (``workflows/supervision/*.bpmn``):

- ``supervision_case``: a project's supervision case; opens it, assigns the inspectors,
  holds the briefing and starts the first inspection, then ends (the case goes on).
- ``supervision_inspection``: one inspection; findings give a notice and start its first
  rectification round; then the next inspection or the completion acceptance is started.
- ``rectification_round``: one round of one notice: reply (timer: reminder, then escalation),
  review; a rejected review or an escalation starts the next round.
- ``completion_acceptance``: notice ≥ N working days ahead, report, filing; closes the case.
"""
from __future__ import annotations

from pathlib import Path

from workflows.family import ProcessFamily, Registries

from . import acceptance_ops, case_ops, rectification_ops
from .demo import seed_demo
from .forms import register_forms
from .policy import policy_from
from .support import bind

HERE = Path(__file__).parent

OPERATIONS = {
    "supervision.open_case": case_ops.open_case,
    "supervision.assign": case_ops.assign,
    "supervision.record_briefing": case_ops.record_briefing,
    "supervision.record_inspection": case_ops.record_inspection,
    "supervision.issue_notice": case_ops.issue_notice,
    "supervision.open_round": rectification_ops.open_round,
    "supervision.record_reply": rectification_ops.record_reply,
    "supervision.remind": rectification_ops.remind,
    "supervision.escalate": rectification_ops.escalate,
    "supervision.record_review": rectification_ops.record_review,
    "supervision.open_acceptance": acceptance_ops.open_acceptance,
    "supervision.record_acceptance_notice": acceptance_ops.record_notice,
    "supervision.record_acceptance_report": acceptance_ops.record_report,
    "supervision.flag_overdue": acceptance_ops.flag_overdue,
    "supervision.close": acceptance_ops.close_supervision,
}


def register(registries: Registries) -> None:
    """Register the family's forms and operations, with the configured policy bound in."""
    policy = policy_from(registries.config)
    register_forms(registries.forms, policy.min_inspectors)
    for name, func in OPERATIONS.items():
        registries.services.register(name, bind(policy, func))


FAMILY = ProcessFamily("supervision", HERE, register, seed_demo)
