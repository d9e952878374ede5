"""The vocabularies of project duties: states, parties and the choices forms offer (code → label).

One place for every status and enumeration (STYLE.md item 7); forms, service operations,
jobs and the API all read them from here.
"""
from __future__ import annotations

from enum import StrEnum

from storage.reference import PARTY_ROLES

# The parties a project names (storage.reference.PARTY_ROLES), as the forms show them.
PARTY_LABELS: dict[str, str] = {"builder": "建设单位", "contractor": "施工单位", "supervisor": "监理单位"}
assert tuple(PARTY_LABELS) == PARTY_ROLES, "keep PARTY_LABELS in step with storage.reference.PARTY_ROLES"

# Who files a daily log and who self-inspects: the contractor and the supervising engineer.
LOG_PARTY_LABELS: dict[str, str] = {"contractor": "施工单位", "supervisor": "监理单位"}

WEATHER_LABELS: dict[str, str] = {
    "sunny": "晴", "cloudy": "多云", "overcast": "阴", "rain": "雨", "snow": "雪", "other": "其他",
}

# What a self-inspection covers (the usual chapters of a site safety & quality check).
INSPECTION_ITEM_LABELS: dict[str, str] = {
    "edge_protection": "临边洞口防护",
    "scaffolding": "脚手架",
    "formwork": "模板支撑",
    "temporary_power": "施工临时用电",
    "lifting_equipment": "起重机械",
    "excavation": "基坑工程",
    "fire_safety": "消防安全",
    "civilized_site": "文明施工",
    "material_quality": "原材料质量",
    "concrete_quality": "混凝土质量",
    "rebar": "钢筋工程",
}

HAZARD_LEVEL_LABELS: dict[str, str] = {"general": "一般隐患", "major": "重大隐患"}

ACCEPTANCE_STAGE_LABELS: dict[str, str] = {
    "foundation": "地基与基础分部验收",
    "main_structure": "主体结构分部验收",
    "energy_saving": "建筑节能分部验收",
    "installation": "建筑设备安装验收",
    "decoration": "装饰装修分部验收",
    "completion": "单位工程竣工验收",
}
ACCEPTANCE_RESULT_LABELS: dict[str, str] = {"passed": "合格", "failed": "不合格"}
# Units that take part in an acceptance; builder, contractor and supervisor must always be there.
ACCEPTANCE_UNIT_LABELS: dict[str, str] = {
    "builder": "建设单位",
    "contractor": "施工单位",
    "supervisor": "监理单位",
    "designer": "设计单位",
    "surveyor": "勘察单位",
    "supervision_station": "质量安全监督机构",
}
ACCEPTANCE_REQUIRED_UNITS = ("builder", "contractor", "supervisor")

SUGGESTION_CATEGORY_LABELS: dict[str, str] = {
    "system": "系统使用",
    "policy": "政策法规",
    "supervision": "监管服务",
    "other": "其他",
}

REVIEW_DECISION_LABELS: dict[str, str] = {"acknowledged": "确认", "returned": "退回修改"}
VERDICT_LABELS: dict[str, str] = {"accepted": "整改合格，闭环", "rejected": "整改不合格，重新整改"}
# The district admin's decision on a self-rectification still overdue after the reminder.
ESCALATION_LABELS: dict[str, str] = {"order_rectification": "责令限期整改",
                                     "supervision_inspection": "转监督检查（纳入日常监督）"}


class InitializationStatus(StrEnum):
    SUBMITTED = "submitted"        # waiting for the district's review
    ACKNOWLEDGED = "acknowledged"  # the district confirmed it; the project data are updated
    RETURNED = "returned"          # sent back; the next round is a new submission


class InspectionStatus(StrEnum):
    PASSED = "passed"          # no findings
    RECTIFYING = "rectifying"  # findings open: a rectification round is under way
    CLOSED = "closed"          # every finding rectified and verified


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class SuggestionStatus(StrEnum):
    SUBMITTED = "submitted"
    ANSWERED = "answered"


# Process keys of the family's models (the ids of their executable processes).
INITIALIZATION_PROCESS = "project_initialization"
DAILY_LOG_PROCESS = "project_daily_log"
SELF_INSPECTION_PROCESS = "project_self_inspection"
SELF_RECTIFICATION_PROCESS = "project_self_rectification"
ACCEPTANCE_PROCESS = "project_acceptance"
SUGGESTION_PROCESS = "project_suggestion"
