"""The two usage tables the bureau publishes (seed 000, attachments 1 and 2), column by column.

Headers are the published text, character for character. Every ratio's base was worked out
from the published figures (tests/data/seed000_tables.py checks all 13 districts and the
total): all ratios and the average use the projects under supervision (在监) — except
已初始化项目占比, whose base is the projects under construction (在建), although the
published remark says otherwise.

What each count means on the report date D (records dated after D never count):

- 在监 / 在建: projects whose supervision / construction period covers D;
- 已分配监督任务 / 已质量安全交底 / 使用过日志服务 / 使用过日常检查 / 使用过工程验收服务:
  projects under supervision on D with at least one record of that kind dated ≤ D;
- 日常监督记录数: supervision records dated ≤ D of the projects under supervision on D;
- 已初始化: projects under construction on D with an initialization record dated ≤ D.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Metric(StrEnum):
    """A per-district count the reports are made of."""

    SUPERVISED = "supervised"
    CONSTRUCTED = "constructed"
    ASSIGNED = "assignment"
    BRIEFED = "briefing"
    SUPERVISION_RECORDS = "supervision_record"
    INITIALIZED = "initialization"
    DAILY_LOG = "daily_log"
    SELF_INSPECTION = "self_inspection"
    ACCEPTANCE = "acceptance"


class Kind(StrEnum):
    COUNT = "count"
    PERCENT = "percent"  # two decimals and "%"
    AVERAGE = "average"  # two decimals


@dataclass(frozen=True)
class Column:
    header: str
    metric: Metric
    kind: Kind = Kind.COUNT
    base: Metric | None = None


@dataclass(frozen=True)
class TableSpec:
    name: str
    title: str
    columns: tuple[Column, ...]
    remark: str


DISTRICT_HEADER = "区域"
TOTAL_LABEL = "合计"
S, C = Metric.SUPERVISED, Metric.CONSTRUCTED

SUPERVISION_USAGE = TableSpec(
    name="supervision-usage",
    title="各地监管端使用情况汇总表",
    columns=(
        Column("在监项目数(个)", S),
        Column("在建项目数(个)", C),
        Column("已分配监督任务项目数(个)", Metric.ASSIGNED),
        Column("已分配监督任务项目占比", Metric.ASSIGNED, Kind.PERCENT, S),
        Column("已质量安全交底项目数(个)", Metric.BRIEFED),
        Column("已质量安全交底项目占比", Metric.BRIEFED, Kind.PERCENT, S),
        Column("日常监督记录数(份)", Metric.SUPERVISION_RECORDS),
        Column("在监项目监督记录平均值", Metric.SUPERVISION_RECORDS, Kind.AVERAGE, S),
    ),
    remark="各项指标计算基数为在监项目数量。",
)

# The published attachment 2 writes its count headers with a space before "(个)".
PROJECT_USAGE = TableSpec(
    name="project-usage",
    title="各地项目端使用情况汇总表",
    columns=(
        Column("在监项目数 (个)", S),
        Column("在建项目数 (个)", C),
        Column("已初始化项目数 (个)", Metric.INITIALIZED),
        Column("已初始化项目占比", Metric.INITIALIZED, Kind.PERCENT, C),
        Column("使用过日志服务的项目数 (个)", Metric.DAILY_LOG),
        Column("使用过日志服务的项目占比", Metric.DAILY_LOG, Kind.PERCENT, S),
        Column("使用过日常检查的项目数 (个)", Metric.SELF_INSPECTION),
        Column("使用过日常检查的项目占比", Metric.SELF_INSPECTION, Kind.PERCENT, S),
        Column("使用过工程验收服务的项目数 (个)", Metric.ACCEPTANCE),
        Column("使用过工程验收服务的项目占比", Metric.ACCEPTANCE, Kind.PERCENT, S),
    ),
    remark="已初始化项目占比的计算基数为在建项目数量，其余各项指标计算基数为在监项目数量。",
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (SUPERVISION_USAGE, PROJECT_USAGE)}
