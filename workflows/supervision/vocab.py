"""Words of the supervision loop: form choices, document kinds and their Chinese names."""
from __future__ import annotations

SEVERITY_CHOICES = {"none": "未发现问题", "general": "一般问题（限期整改）", "serious": "严重隐患（局部停工整改）"}
NEXT_STEP_CHOICES = {"continue": "继续日常监督", "complete": "工程完工，转入竣工验收监督"}
REVIEW_CHOICES = {"accepted": "整改合格，问题销号", "rejected": "整改不合格，继续整改"}
ESCALATION_CHOICES = {"stop_work": "责令停工整改", "penalty_transfer": "移交行政处罚"}

NOTICE_KIND_BY_SEVERITY = {"general": "rectification", "serious": "stop_work"}


class DocKind:
    """A generated document: its ``document.kind``, title and the character of its 文号 series."""

    def __init__(self, kind: str, title: str, series: str) -> None:
        self.kind = kind
        self.title = title
        self.series = series


BRIEFING_RECORD = DocKind("briefing_record", "质量安全监督交底记录", "交")
SUPERVISION_RECORD = DocKind("supervision_record", "建设工程质量安全监督记录", "记")
RECTIFICATION_NOTICE = DocKind("rectification_notice", "整改通知书", "整")
STOP_WORK_NOTICE = DocKind("stop_work_notice", "局部停工整改通知书", "停")
REVIEW_RECORD = DocKind("review_record", "整改复查记录", "复")
STOP_WORK_ORDER = DocKind("stop_work_order", "停工整改通知书", "停")
PENALTY_TRANSFER = DocKind("penalty_transfer", "行政处罚案件移交书", "移")
ACCEPTANCE_REPORT = DocKind("acceptance_report", "工程竣工验收监督报告", "验")

NOTICE_DOCS = {"rectification": RECTIFICATION_NOTICE, "stop_work": STOP_WORK_NOTICE}
ESCALATION_DOCS = {"stop_work": STOP_WORK_ORDER, "penalty_transfer": PENALTY_TRANSFER}

PARTY_LABELS = {"builder": "建设单位", "contractor": "施工单位", "supervisor": "监理单位"}
# Who owns a finding (must rectify it): the first of these parties the project has.
OWNER_PARTIES = ("contractor", "builder")
