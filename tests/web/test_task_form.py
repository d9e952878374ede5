"""Schema → inputs, browser input → data, marshmallow messages → the user's language."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Flask
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict

from web.task_form import build_fields, display_text, flatten_errors, localize, raw_values, to_data

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Everything(Schema):
    title = fields.String(required=True, validate=validate.Length(max=20), metadata={"label": "标题", "label_en": "Title"})
    note = fields.String(metadata={"label": "说明", "widget": "textarea", "help": "可选"})
    count = fields.Integer(validate=validate.Range(min=1, max=9), metadata={"label": "数量"})
    ratio = fields.Decimal(metadata={"label": "比例"})
    ok = fields.Boolean(required=True, metadata={"label": "合格"})
    day = fields.Date(metadata={"label": "日期"})
    at = fields.AwareDateTime(metadata={"label": "时间"})
    level = fields.String(validate=validate.OneOf(["a", "b"], labels=["甲", "乙"]), metadata={"label": "等级"})
    tags = fields.List(fields.String(validate=validate.OneOf(["x", "y"])), metadata={"label": "标签",
                                                                                   "x-choices": {"x": "叉", "y": "歪"}})
    items = fields.List(fields.String(), metadata={"label": "条目"})
    photo = fields.Integer(metadata={"label": "照片", "widget": "file"})
    files = fields.List(fields.Integer(strict=True), metadata={"label": "附件", "widget": "file",
                                                               "help": "先上传文件（POST /api/v1/documents）"})
    email = fields.Email(metadata={"label": "邮箱"})
    extra = fields.Dict(metadata={"label": "其他"})


def test_each_field_gets_its_input(app: Flask) -> None:
    with app.test_request_context("/"):
        built = {f.name: f for f in build_fields(Everything())}
        assert {n: f.kind for n, f in built.items()} == {
            "title": "text", "note": "textarea", "count": "integer", "ratio": "number", "ok": "boolean",
            "day": "date", "at": "datetime", "level": "select", "tags": "checkboxes", "items": "lines",
            "photo": "file", "files": "files", "email": "email", "extra": "json"}
        assert built["title"].required and built["title"].max_length == 20 and built["title"].label == "标题"
        assert (built["count"].minimum, built["count"].maximum) == ("1", "9")
        assert built["level"].choices == [("a", "甲"), ("b", "乙")]
        assert built["tags"].choices == [("x", "叉"), ("y", "歪")]
        assert built["ok"].choices == [("true", "是"), ("false", "否")]
        assert built["note"].help == "可选" and built["files"].help is None  # API instructions are dropped
    with app.test_request_context("/?lang=en"):
        assert build_fields(Everything())[0].label == "Title"


def test_browser_input_becomes_schema_input(app: Flask) -> None:
    form = MultiDict([("title", " 标题 "), ("note", ""), ("count", "3"), ("ok", "false"), ("day", "2026-03-02"),
                      ("at", "2026-03-02T09:30"), ("level", "b"), ("tags", "x"), ("tags", "y"),
                      ("items", "一\r\n\r\n 二 "), ("files", "7"), ("photo", ""), ("extra", '{"k": 1}')])
    with app.test_request_context("/"):
        schema = Everything()
        raw = raw_values(schema, form, uploaded={"files": [8], "photo": [9]})
        assert raw["items"] == ["一", "二"] and raw["files"] == ["7", "8"] and raw["photo"] == "9"
        data = to_data(schema, raw, SHANGHAI)
        assert data == {"title": " 标题 ", "count": "3", "ok": "false", "day": "2026-03-02",
                        "at": "2026-03-02T09:30:00+08:00", "level": "b", "tags": ["x", "y"], "items": ["一", "二"],
                        "photo": 9, "files": [7, 8], "extra": {"k": 1}}
        loaded = schema.load(data)
        assert loaded["at"].utcoffset().total_seconds() == 8 * 3600 and loaded["ok"] is False
        # empty inputs are left out, so "required" speaks
        assert "ok" in flatten_errors(_errors(schema, to_data(schema, raw_values(schema, MultiDict()), SHANGHAI)))


def _errors(schema: Schema, data: dict) -> dict:  # type: ignore[type-arg]
    from marshmallow import ValidationError

    try:
        schema.load(data)
    except ValidationError as exc:
        return exc.normalized_messages()  # type: ignore[return-value]
    return {}


def test_messages_in_the_users_language(app: Flask) -> None:
    with app.test_request_context("/"):
        assert localize("Missing data for required field.") == "此项为必填项。"
        assert localize("Not a valid date.") == "请按 YYYY-MM-DD 格式输入日期。"
        assert localize("Longer than maximum length 20.") == "最多 20 个字符。"
        assert localize("Must be greater than or equal to 1 and less than or equal to 9.") == "应在 1 至 9 之间。"
        assert localize("Must be one of: a, b.") == "请从列出的选项中选择。"
        assert localize("问题清单不能为空") == "问题清单不能为空"  # a family's own message stays
        flat = flatten_errors({"items": {0: ["Not a valid string."], 2: ["Missing data for required field."]},
                               "count": ["Not a valid integer."]})
        assert flat == {"items": ["第 1 项：填写格式不正确。", "第 3 项：此项为必填项。"], "count": ["请输入整数。"]}
    with app.test_request_context("/?lang=en"):
        assert localize("Missing data for required field.") == "This field is required."


def test_values_as_text(app: Flask) -> None:
    with app.test_request_context("/"):
        built = {f.name: f for f in build_fields(Everything(), {"ok": True, "level": "a", "tags": ["y"],
                                                                 "files": [7, 8], "items": []})}
        assert display_text(built["ok"]) == "是"
        assert display_text(built["level"]) == "甲" and display_text(built["tags"]) == "歪"
        assert display_text(built["files"], {7: "a.pdf"}) == "a.pdf、8"
        assert display_text(built["items"]) == "—" and display_text(built["title"]) == "—"
