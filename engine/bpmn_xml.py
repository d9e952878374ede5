"""Safe parsing of untrusted BPMN XML (no DTD, no entities, no network) and schema checks."""
from __future__ import annotations

import re

from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from .errors import Problem

MAX_BPMN_BYTES = 5 * 1024 * 1024
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NSMAP = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

# BPMN never needs a DTD; refusing any DOCTYPE closes billion-laughs and external entities.
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_blank_text=False,
    )


def parse_bpmn(data: bytes, filename: str) -> tuple[etree._Element | None, list[Problem]]:
    """Parse ``data``; return the root element, or None with the problems found."""
    if len(data) > MAX_BPMN_BYTES:
        return None, [Problem(f"the file is larger than {MAX_BPMN_BYTES // 1024 // 1024} MiB", file=filename)]
    if not data.strip():
        return None, [Problem("the file is empty", file=filename)]
    match = _DOCTYPE.search(data)
    if match:
        line = data.count(b"\n", 0, match.start()) + 1
        return None, [Problem(
            "DOCTYPE and ENTITY declarations are not allowed in BPMN (entity expansion and "
            "external entities are refused)", line=line, file=filename)]
    try:
        # The XML is stored as text and re-parsed later (call activities): UTF-8 only.
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [Problem("the file is not UTF-8: save it as UTF-8", line=line, file=filename)]
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        return None, [Problem(f"not well-formed XML: {exc.msg}", line=exc.lineno, file=filename)]
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return None, [Problem("the root element must be bpmn:definitions", line=root.sourceline, file=filename)]
    return root, []


def schema_problems(root: etree._Element, filename: str) -> list[Problem]:
    """Every BPMN 2.0 XSD violation with its line (not only the first)."""
    VALIDATOR.preprocess(root)
    schema = VALIDATOR.validator
    if schema.validate(root):
        return []
    problems = []
    for err in schema.error_log:
        problems.append(Problem(f"schema: {_short_schema_message(err.message)}", line=err.line, file=filename))
    return problems


def _short_schema_message(message: str) -> str:
    return re.sub(r"\{[^}]+\}", "", message)


def element_id(node: etree._Element) -> str | None:
    """The id of the nearest element (or ancestor) that has one."""
    while node is not None:
        value = node.get("id")
        if value:
            return value
        node = node.getparent()
    return None
