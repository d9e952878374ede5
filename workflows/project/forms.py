"""Forms of project duties (marshmallow; Chinese labels): one schema per ``project.*`` form key.

The schemas check what the submitted data alone can tell (required fields, choices, formats,
dates in order). Rules that need the clock or the database (a date in the future, a log filed
twice, a document of another case) are checked by the service operation that stores the data,
in the same step, and reported field by field in the same way.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from engine import FieldErrors
from forms.fields import Text, meta
from workflows.reference.credit_code import InvalidCreditCode, validate_credit_code

from . import vocab

MAX_DOCUMENTS = 50
MAX_TEXT = 2000


def one_of(choices: Mapping[str, str]) -> validate.OneOf:
    """The codes of ``choices``, with their Chinese labels for rendering."""
    return validate.OneOf(list(choices), labels=list(choices.values()))


def choice(choices: Mapping[str, str], label: str, label_en: str, **kwargs: Any) -> fields.String:
    return fields.String(validate=one_of(choices), metadata=meta(label, label_en, choices), **kwargs)


def text(label: str, label_en: str, *, max_length: int = MAX_TEXT, required: bool = True,
         widget: str | None = None) -> Text:
    extra = {"widget": widget} if widget else {}
    if required:
        return Text(required=True, validate=validate.Length(max=max_length), metadata=meta(label, label_en, **extra))
    return Text(load_default="", validate=validate.Length(max=max_length), metadata=meta(label, label_en, **extra))


def document_ids(label: str, label_en: str, *, required: bool = False) -> fields.List:
    item = fields.Integer(strict=True, validate=validate.Range(min=1))
    metadata = meta(label, label_en, widget="file",
                    help="先上传文件（POST /api/v1/documents，带本案件编号），再填写返回的文件编号")
    if required:
        return fields.List(item, required=True, validate=validate.Length(min=1, max=MAX_DOCUMENTS), metadata=metadata)
    return fields.List(item, load_default=list, validate=validate.Length(max=MAX_DOCUMENTS), metadata=metadata)


class CreditCode(fields.String):
    """A unified social credit code (统一社会信用代码), check character included."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        code = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            return validate_credit_code(code)
        except InvalidCreditCode as exc:
            raise ValidationError(str(exc)) from exc


class DutyForm(Schema):
    """Base of the family's forms: unknown fields are refused when a user submits."""


# -- initialization ---------------------------------------------------------------------------
class InitializationForm(DutyForm):
    """项目初始化: the enterprise completes the project's data, parties and key personnel."""

    address = text("项目地址", "Address", max_length=300)
    floor_area_m2 = fields.Decimal(required=True, places=2, validate=validate.Range(min=0, min_inclusive=False),
                                   metadata=meta("建筑面积（平方米）", "Floor area (m²)"))
    contract_value_cny = fields.Decimal(required=True, places=2, validate=validate.Range(min=0),
                                        metadata=meta("合同价（元）", "Contract value (CNY)"))
    construction_start = fields.Date(required=True, metadata=meta("开工日期", "Construction start"))
    construction_end = fields.Date(load_default=None, allow_none=True,
                                   metadata=meta("计划竣工日期", "Planned completion"))
    builder_code = CreditCode(required=True, metadata=meta("建设单位统一社会信用代码", "Builder's credit code"))
    builder_name = text("建设单位名称", "Builder", max_length=200)
    contractor_code = CreditCode(required=True, metadata=meta("施工单位统一社会信用代码", "Contractor's credit code"))
    contractor_name = text("施工单位名称", "Contractor", max_length=200)
    supervisor_code = CreditCode(required=True, metadata=meta("监理单位统一社会信用代码",
                                                               "Supervising engineer's credit code"))
    supervisor_name = text("监理单位名称", "Supervising engineer", max_length=200)
    project_manager = text("项目经理", "Project manager", max_length=100)
    project_manager_cert = text("项目经理注册证书编号", "Project manager's certificate", max_length=64)
    safety_officer = text("专职安全员", "Safety officer", max_length=100)
    safety_officer_cert = text("专职安全员证书编号", "Safety officer's certificate", max_length=64)
    chief_supervisor = text("总监理工程师", "Chief supervising engineer", max_length=100)
    chief_supervisor_cert = text("总监理工程师注册证书编号", "Chief supervisor's certificate", max_length=64)
    technical_lead = text("技术负责人", "Technical lead", max_length=100, required=False)
    technical_lead_cert = text("技术负责人证书编号", "Technical lead's certificate", max_length=64, required=False)
    document_ids = document_ids("附件（施工许可证、合同等）", "Attachments")

    @validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("construction_start"), data.get("construction_end")
        if start and end and end <= start:
            raise ValidationError("The planned completion must come after the construction start.",
                                  "construction_end")
        if bool(data.get("technical_lead")) != bool(data.get("technical_lead_cert")):
            raise ValidationError("Give the technical lead's name and certificate together.", "technical_lead_cert")
        codes = [data.get(f"{p}_code") for p in ("builder", "contractor", "supervisor")]
        if None not in codes and codes[1] == codes[2]:
            raise ValidationError("The contractor and the supervising engineer must be different enterprises.",
                                  "supervisor_code")


class InitializationReviewForm(DutyForm):
    decision = choice(vocab.REVIEW_DECISION_LABELS, "审核结论", "Decision", required=True)
    comment = text("审核意见", "Comment", required=False)

    @validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("decision") == "returned" and not data.get("comment"):
            raise ValidationError("Say what must be corrected when returning the submission.", "comment")


# -- daily log --------------------------------------------------------------------------------
class DailyLogForm(DutyForm):
    """工作日志 of the contractor or the supervising engineer, one per working day."""

    log_date = fields.Date(required=True, metadata=meta("日志日期", "Log date"))
    party = choice(vocab.LOG_PARTY_LABELS, "填报单位", "Filed by", required=True)
    weather = choice(vocab.WEATHER_LABELS, "天气", "Weather", required=True)
    workers_on_site = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100_000),
                                     metadata=meta("现场作业人数", "Workers on site"))
    work_content = text("当日施工（监理）内容", "Work done", widget="textarea")
    quality_safety = text("质量安全情况", "Quality and safety", required=False, widget="textarea")
    issues = text("存在问题及处理", "Problems and measures", required=False, widget="textarea")
    document_ids = document_ids("附件（照片、记录）", "Attachments")


# -- self-inspection --------------------------------------------------------------------------
class SelfInspectionForm(DutyForm):
    """日常检查: the enterprise inspects its own site, at least once a week."""

    inspected_on = fields.Date(required=True, metadata=meta("检查日期", "Inspected on"))
    party = choice(vocab.LOG_PARTY_LABELS, "检查单位", "Inspected by", required=True)
    inspector = text("检查人", "Inspector", max_length=100)
    items = fields.List(fields.String(validate=one_of(vocab.INSPECTION_ITEM_LABELS)), required=True,
                        validate=validate.Length(min=1),
                        metadata=meta("检查内容", "Items checked", vocab.INSPECTION_ITEM_LABELS))
    findings = fields.List(Text(required=True, validate=validate.Length(max=500)), load_default=list,
                           validate=validate.Length(max=50),
                           metadata=meta("发现问题（每条一项）", "Findings (one per line)"))
    hazard_level = choice(vocab.HAZARD_LEVEL_LABELS, "隐患等级", "Hazard level", load_default="general")
    rectify_by = fields.Date(load_default=None, allow_none=True,
                             metadata=meta("整改期限", "Rectify by",
                                            help="有问题时填写；不填则按默认整改期限"))
    document_ids = document_ids("检查照片", "Photos")

    @validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        due, day = data.get("rectify_by"), data.get("inspected_on")
        if due and day and due < day:
            raise ValidationError("The rectification deadline cannot come before the inspection.", "rectify_by")
        if due and not data.get("findings"):
            raise ValidationError("A rectification deadline needs findings to rectify.", "rectify_by")


class SelfRectificationForm(DutyForm):
    """The rectification reply: measures taken and evidence."""

    measures = text("整改措施及结果", "Measures taken", widget="textarea")
    rectified_on = fields.Date(required=True, metadata=meta("整改完成日期", "Rectified on"))
    evidence_document_ids = document_ids("整改证据（照片、资料）", "Evidence", required=True)


class SelfRectificationReviewForm(DutyForm):
    """The verification (复查) of a rectification round."""

    verdict = choice(vocab.VERDICT_LABELS, "复查结论", "Verdict", required=True)
    verifier = text("复查人", "Verified by", max_length=100)
    comment = text("复查意见", "Comment", required=False, widget="textarea")
    next_rectify_by = fields.Date(load_default=None, allow_none=True,
                                  metadata=meta("重新整改期限", "New deadline"))

    @validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("verdict") != "rejected":
            return
        errors: dict[str, list[str]] = {}
        if not data.get("comment"):
            errors["comment"] = ["Say what is still wrong when rejecting a rectification."]
        if not data.get("next_rectify_by"):
            errors["next_rectify_by"] = ["A rejected rectification needs a new deadline."]
        if errors:
            raise ValidationError(errors)


# -- acceptance -------------------------------------------------------------------------------
class AcceptanceForm(DutyForm):
    """工程验收 of a stage of the works."""

    stage = choice(vocab.ACCEPTANCE_STAGE_LABELS, "验收阶段", "Stage", required=True)
    accepted_on = fields.Date(required=True, metadata=meta("验收日期", "Date"))
    participant_units = fields.List(
        fields.String(validate=one_of(vocab.ACCEPTANCE_UNIT_LABELS)), required=True,
        metadata=meta("参加单位", "Participating units", vocab.ACCEPTANCE_UNIT_LABELS))
    participants = fields.List(Text(required=True, validate=validate.Length(max=100)), required=True,
                               validate=validate.Length(min=2, max=50),
                               metadata=meta("参加人员", "Participants"))
    result = choice(vocab.ACCEPTANCE_RESULT_LABELS, "验收结论", "Result", required=True)
    remarks = text("验收意见", "Remarks", required=False, widget="textarea")
    document_ids = document_ids("验收资料", "Documents")

    @validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        missing = [u for u in vocab.ACCEPTANCE_REQUIRED_UNITS if u not in (data.get("participant_units") or [])]
        if "participant_units" in data and missing:
            labels = "、".join(vocab.ACCEPTANCE_UNIT_LABELS[u] for u in missing)
            raise ValidationError(f"The builder, the contractor and the supervising engineer take part in "
                                  f"every acceptance; missing: {labels}.", "participant_units")


# -- suggestions ------------------------------------------------------------------------------
class SuggestionForm(DutyForm):
    """意见建议: given when the case starts (any user may submit one)."""

    category = choice(vocab.SUGGESTION_CATEGORY_LABELS, "类别", "Category", load_default="other")
    title = text("标题", "Title", max_length=100)
    content = text("内容", "Content", widget="textarea")
    district = fields.String(load_default=None, allow_none=True,
                             metadata=meta("所属区域", "District", help="不涉及具体项目时必填"))
    contact = text("联系方式", "Contact", max_length=100, required=False)


class SuggestionAnswerForm(DutyForm):
    answer = text("答复内容", "Answer", widget="textarea")


class SelfRectificationEscalationForm(DutyForm):
    """The district admin's decision (逾期处置) on a rectification still overdue after the reminder."""

    decision = choice(vocab.ESCALATION_LABELS, "处置决定", "Decision", required=True)
    reasons = text("事实与理由", "Facts and reasons", widget="textarea")
    new_deadline = fields.Date(required=True, metadata=meta("新的整改期限", "New deadline"))


# Form key → (schema, Chinese title, English title).
FORMS: dict[str, tuple[type[Schema], str, str]] = {
    "project.initialization": (InitializationForm, "项目初始化", "Project initialization"),
    "project.initialization_review": (InitializationReviewForm, "初始化审核", "Initialization review"),
    "project.daily_log": (DailyLogForm, "工作日志", "Daily work log"),
    "project.self_inspection": (SelfInspectionForm, "日常检查", "Self-inspection"),
    "project.self_rectification": (SelfRectificationForm, "隐患整改", "Rectification"),
    "project.self_rectification_review": (SelfRectificationReviewForm, "整改复查", "Rectification review"),
    "project.self_rectification_escalation": (SelfRectificationEscalationForm, "逾期整改处置",
                                              "Overdue rectification"),
    "project.acceptance": (AcceptanceForm, "工程验收", "Stage acceptance"),
    "project.suggestion": (SuggestionForm, "意见建议", "Suggestion"),
    "project.suggestion_answer": (SuggestionAnswerForm, "答复意见建议", "Answer a suggestion"),
}


def load_form(schema_class: type[Schema], data: Mapping[str, Any]) -> dict[str, Any]:
    """The form's fields read back from task data (typed: dates as dates), others ignored.

    Raises:
        FieldErrors: the data do not fit the form (e.g. a case started with bad data).
    """
    try:
        loaded: dict[str, Any] = schema_class().load(dict(data), unknown=EXCLUDE)
    except ValidationError as exc:
        raise FieldErrors(exc.normalized_messages()) from exc  # type: ignore[arg-type]
    return loaded
