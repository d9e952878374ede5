"""Shipped diagrams carry a complete layout, and ``tools/bpmn-layout.mjs`` produces it.

Every ``workflows/<family>/*.bpmn`` must display in bpmn-js: a BPMNShape for each flow node
and lane, a BPMNEdge for each sequence flow. Files generated from ``src/`` must be current.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "bpmn-layout.mjs"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
FLOW_NODES = (
    "task", "userTask", "serviceTask", "scriptTask", "manualTask", "businessRuleTask", "sendTask",
    "receiveTask", "callActivity", "subProcess", "startEvent", "endEvent", "intermediateCatchEvent",
    "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway",
    "inclusiveGateway", "eventBasedGateway", "complexGateway",
)
SHIPPED = sorted(p for p in (ROOT / "workflows").rglob("*.bpmn") if "src" not in p.relative_to(ROOT).parts)
SOURCES = sorted((ROOT / "workflows").glob("*/src/*.bpmn"))


def _ids(root: etree._Element, path: str) -> set[str]:
    return {e.get("id") for e in root.xpath(path, namespaces=NS)}


def _di(root: etree._Element, kind: str) -> set[str]:
    return {e.get("bpmnElement") for e in root.xpath(f"//bpmndi:{kind}", namespaces=NS)}


def missing_di(root: etree._Element) -> dict[str, set[str]]:
    nodes = set().union(*(_ids(root, f"//bpmn:process//bpmn:{tag}") for tag in FLOW_NODES))
    lanes = _ids(root, "//bpmn:lane")
    flows = _ids(root, "//bpmn:sequenceFlow")
    return {"shapes": (nodes | lanes) - _di(root, "BPMNShape"), "edges": flows - _di(root, "BPMNEdge")}


def test_workflows_ship_some_models() -> None:
    assert SHIPPED, "no shipped .bpmn under workflows/"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_model_has_a_complete_layout(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    assert root.xpath("//bpmndi:BPMNDiagram", namespaces=NS), f"{path.name} has no diagram"
    assert missing_di(root) == {"shapes": set(), "edges": set()}


def test_the_check_sees_a_missing_shape() -> None:
    """The check above can fail: a model without DI is missing everything."""
    root = etree.fromstring(
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        b'<bpmn:process id="p"><bpmn:laneSet id="ls"><bpmn:lane id="l" name="inspector"/></bpmn:laneSet>'
        b'<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>'
        b'<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/></bpmn:process></bpmn:definitions>'
    )
    assert missing_di(root) == {"shapes": {"s", "e", "l"}, "edges": {"f"}}


# -- the tool ------------------------------------------------------------------------------

def _node() -> str:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "bpmn-auto-layout").is_dir():
        pytest.skip("node and the npm packages (make install) are needed to run tools/bpmn-layout.mjs")
    return node


def run_tool(source: Path, target: Path) -> None:
    subprocess.run([_node(), str(TOOL), str(source.relative_to(ROOT)) if source.is_relative_to(ROOT) else str(source),
                    str(target)], cwd=ROOT, check=True, capture_output=True, timeout=60)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_generated_models_are_current(source: Path, tmp_path: Path) -> None:
    shipped = source.parent.parent / source.name
    out = tmp_path / source.name
    run_tool(source, out)
    assert shipped.exists(), f"run `make layout`: {shipped.relative_to(ROOT)} is missing"
    assert out.read_text() == shipped.read_text(), f"run `make layout`: {shipped.relative_to(ROOT)} is stale"


LANES_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="http://t">
  <bpmn:process id="round" name="Round" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="lane_e" name="enterprise"><bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>reply</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_i" name="inspector"><bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>gw</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_d" name="district_admin"><bpmn:flowNodeRef>escalate</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="reply" name="Reply"/>
    <bpmn:boundaryEvent id="late" name="Overdue" attachedToRef="reply">
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P7D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="review" name="Review"/>
    <bpmn:exclusiveGateway id="gw" default="back"/>
    <bpmn:userTask id="escalate" name="Escalate"/>
    <bpmn:scriptTask id="unlisted" name="Not in a lane"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="reply"/>
    <bpmn:sequenceFlow id="f2" sourceRef="reply" targetRef="review"/>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="gw"/>
    <bpmn:sequenceFlow id="ok" sourceRef="gw" targetRef="unlisted"><bpmn:conditionExpression>ok</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="back" sourceRef="gw" targetRef="reply"/>
    <bpmn:sequenceFlow id="f4" sourceRef="unlisted" targetRef="end"/>
    <bpmn:sequenceFlow id="f5" sourceRef="late" targetRef="escalate"/>
    <bpmn:sequenceFlow id="f6" sourceRef="escalate" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _bounds(root: etree._Element, element_id: str) -> tuple[float, float, float, float]:
    (b,) = root.xpath(f"//bpmndi:BPMNShape[@bpmnElement='{element_id}']/dc:Bounds", namespaces=NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


@pytest.fixture
def laid_out(tmp_path: Path) -> tuple[etree._Element, str]:
    source = tmp_path / "round.bpmn"
    source.write_text(LANES_MODEL)
    out = tmp_path / "out.bpmn"
    run_tool(source, out)
    return etree.parse(str(out)).getroot(), out.read_text()


def test_tool_draws_lanes_as_bands_of_a_pool(laid_out: tuple[etree._Element, str]) -> None:
    root, _ = laid_out
    assert missing_di(root) == {"shapes": set(), "edges": set()}
    (participant,) = root.xpath("//bpmn:collaboration/bpmn:participant", namespaces=NS)
    assert participant.get("processRef") == "round"
    (plane,) = root.xpath("//bpmndi:BPMNPlane", namespaces=NS)
    assert plane.get("bpmnElement") == root.xpath("//bpmn:collaboration/@id", namespaces=NS)[0]
    pool = _bounds(root, participant.get("id"))
    bands = {lane: _bounds(root, lane) for lane in ("lane_e", "lane_i", "lane_d")}
    assert [b[1] for b in bands.values()] == sorted(b[1] for b in bands.values()), "lanes keep their order"
    assert sum(b[3] for b in bands.values()) == pool[3]
    members = {"start": "lane_e", "reply": "lane_e", "review": "lane_i", "gw": "lane_i", "escalate": "lane_d",
               "unlisted": "lane_i"}  # an unlisted node is drawn in its predecessor's lane
    for node, lane in members.items():
        x, y, w, h = _bounds(root, node)
        lx, ly, lw, lh = bands[lane]
        assert ly <= y and y + h <= ly + lh, f"{node} is outside {lane}"
        assert lx < x and x + w <= lx + lw
    rx, ry, rw, rh = _bounds(root, "reply")
    bx, by, bw, bh = _bounds(root, "late")
    assert by + bh / 2 == ry + rh and rx <= bx + bw / 2 <= rx + rw, "the boundary event sits on its host's edge"
    # The semantics are untouched: the unlisted node is still in no lane.
    assert not root.xpath("//bpmn:flowNodeRef[text()='unlisted']", namespaces=NS)


def test_tool_routes_flows_orthogonally_from_source_to_target(laid_out: tuple[etree._Element, str]) -> None:
    root, _ = laid_out
    for edge in root.xpath("//bpmndi:BPMNEdge", namespaces=NS):
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.xpath("di:waypoint", namespaces=NS)]
        assert len(points) >= 2
        for (x1, y1), (x2, y2) in zip(points, points[1:]):
            assert x1 == x2 or y1 == y2, f"{edge.get('bpmnElement')} has a diagonal segment"
        (flow,) = root.xpath(f"//bpmn:sequenceFlow[@id='{edge.get('bpmnElement')}']", namespaces=NS)
        for end, point in (("sourceRef", points[0]), ("targetRef", points[-1])):
            x, y, w, h = _bounds(root, flow.get(end))
            assert x <= point[0] <= x + w and y <= point[1] <= y + h, f"{flow.get('id')} misses its {end}"


def test_tool_is_deterministic_and_keeps_the_semantics(laid_out: tuple[etree._Element, str], tmp_path: Path) -> None:
    root, text = laid_out
    again = tmp_path / "again.bpmn"
    run_tool(tmp_path / "round.bpmn", again)
    assert again.read_text() == text
    assert root.xpath("//bpmn:sequenceFlow[@id='ok']/bpmn:conditionExpression/text()", namespaces=NS) == ["ok"]
    assert root.xpath("//bpmn:exclusiveGateway/@default", namespaces=NS) == ["back"]
    assert root.xpath("//bpmn:timeDuration/text()", namespaces=NS) == ['"P7D"']


def test_tool_refuses_a_file_without_process(tmp_path: Path) -> None:
    source = tmp_path / "empty.bpmn"
    source.write_text('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"/>')
    result = subprocess.run([_node(), str(TOOL), str(source)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "no bpmn:process" in result.stderr
