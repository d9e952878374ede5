#!/usr/bin/env node
// Adds diagram layout (BPMN DI) to a BPMN file written without one, lanes included.
//
//   node tools/bpmn-layout.mjs SOURCE.bpmn [TARGET.bpmn]     (TARGET defaults to stdout)
//
// npm `bpmn-auto-layout` orders the flow nodes left to right on a grid but ignores lanes
// and pools. So, after it ran, a process with a laneSet (or one already referenced by a
// collaboration participant) is drawn as a pool: each lane gets a horizontal band, every
// flow node moves into its lane's band (keeping its column), sequence flows are routed
// again orthogonally through the gaps between grid cells, and participant and lane shapes
// are emitted. The output depends only on the input (no clock, no randomness), so running
// the tool twice gives the same bytes.
//
// Limits: only the first process of a file is laid out (like bpmn-auto-layout); nested
// lanes (childLaneSet) are drawn flat, one band per top-level lane; expanded sub-processes
// are drawn collapsed. A node no lane lists is drawn in the lane of its nearest neighbour
// (the laneSet itself is not changed: lanes are semantics, the band is only a picture).
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { layoutProcess } from 'bpmn-auto-layout';
import { BpmnModdle } from 'bpmn-moddle';

// bpmn-auto-layout's grid: a 150 x 140 cell per node, nodes centred in their cell.
const CELL_W = 150;
const CELL_H = 140;
const LABEL_STRIP = 30; // the name strip on the left of a participant and of a lane
const ORIGIN_X = 2 * LABEL_STRIP; // first grid column starts right of both strips
const RIGHT_MARGIN = 30;
const BOUNDARY_LABEL_W = 80;
// Parallel segments sharing a gap are spread a little so that they stay distinguishable.
const GAP_X_OFFSETS = [0, -8, 8, -16, 16];
const GAP_Y_OFFSETS = [10, 4, 16, -2, 22];

const is = (element, type) => element && element.$instanceOf(type);

export async function layoutBpmn(xml) {
  const moddle = new BpmnModdle();
  const laidOut = await layoutProcess(await withIncomingOutgoing(moddle, xml));
  const { rootElement: definitions } = await moddle.fromXML(laidOut);
  const process = definitions.rootElements.find((e) => is(e, 'bpmn:Process'));
  if (!process) {
    throw new Error('the file has no bpmn:process to lay out');
  }
  const collaboration = definitions.rootElements.find(
    (e) => is(e, 'bpmn:Collaboration') && (e.participants || []).some((p) => p.processRef === process),
  );
  const lanes = (process.laneSets || []).flatMap((set) => set.lanes || []);
  if (lanes.length || collaboration) {
    new PoolLayout(moddle, definitions, process, collaboration, lanes).apply();
  }
  const { xml: out } = await moddle.toXML(definitions, { format: true });
  return out.endsWith('\n') ? out : out + '\n';
}

// bpmn-auto-layout walks the graph through each node's bpmn:incoming / bpmn:outgoing
// references, which hand-written BPMN usually omits (the sequence flows alone are enough
// for engines). Derive them from the flows, as a modeler would have written them.
async function withIncomingOutgoing(moddle, xml) {
  const { rootElement: definitions } = await moddle.fromXML(xml);
  const containers = (definitions.rootElements || []).filter((e) => is(e, 'bpmn:Process'));
  if (!containers.length) {
    throw new Error('the file has no bpmn:process to lay out');
  }
  while (containers.length) {
    const container = containers.shift();
    const elements = container.flowElements || [];
    for (const node of elements) {
      if (is(node, 'bpmn:FlowNode')) {
        node.incoming = [];
        node.outgoing = [];
      }
      if (is(node, 'bpmn:SubProcess')) containers.push(node);
    }
    for (const flow of elements.filter((e) => is(e, 'bpmn:SequenceFlow'))) {
      if (!flow.sourceRef || !flow.targetRef) {
        throw new Error(`sequence flow ${flow.id} needs both a sourceRef and a targetRef`);
      }
      flow.sourceRef.outgoing.push(flow);
      flow.targetRef.incoming.push(flow);
    }
  }
  return (await moddle.toXML(definitions)).xml;
}

class PoolLayout {
  constructor(moddle, definitions, process, collaboration, lanes) {
    this.moddle = moddle;
    this.definitions = definitions;
    this.process = process;
    this.collaboration = collaboration;
    this.lanes = lanes;
    this.plane = definitions.diagrams[0].plane;
    this.shapes = new Map(); // element id -> BPMNShape
    for (const di of this.plane.planeElement || []) {
      if (is(di, 'bpmndi:BPMNShape')) this.shapes.set(di.bpmnElement.id, di);
    }
    const elements = process.flowElements || [];
    this.flows = elements.filter((e) => is(e, 'bpmn:SequenceFlow'));
    this.boundaries = elements.filter((e) => is(e, 'bpmn:BoundaryEvent') && this.shapes.has(e.id));
    this.nodes = elements.filter(
      (e) => !is(e, 'bpmn:SequenceFlow') && !is(e, 'bpmn:BoundaryEvent') && this.shapes.has(e.id),
    );
    this.gapUse = new Map(); // "x:123" / "y:456" -> segments already routed through that gap
  }

  apply() {
    this.placeNodes();
    this.placeBoundaries();
    const edges = this.flows.filter((f) => this.shapes.has(f.sourceRef.id) && this.shapes.has(f.targetRef.id))
      .map((flow) => this.create('bpmndi:BPMNEdge', {
        id: `${flow.id}_di`, bpmnElement: flow,
        waypoint: this.route(flow).map((p) => this.create('dc:Point', p)),
      }));
    const participant = this.participant();
    const poolShapes = [this.poolShape(participant), ...this.laneShapes()];
    const nodeShapes = (this.plane.planeElement || []).filter((di) => is(di, 'bpmndi:BPMNShape'));
    this.plane.planeElement = [...poolShapes, ...nodeShapes, ...edges];
    this.plane.bpmnElement = this.collaboration;
  }

  // -- nodes --------------------------------------------------------------------------
  laneOfNodes() {
    const laneOf = new Map();
    for (const lane of this.lanes) {
      for (const ref of lane.flowNodeRef || []) {
        if (!laneOf.has(ref.id)) laneOf.set(ref.id, lane);
      }
    }
    // Unlisted nodes join a neighbour's lane: predecessors first, then successors.
    let changed = true;
    while (changed) {
      changed = false;
      for (const node of this.nodes) {
        if (laneOf.has(node.id)) continue;
        const sources = (node.incoming || []).map((f) => f.sourceRef)
          .map((s) => (is(s, 'bpmn:BoundaryEvent') ? s.attachedToRef : s));
        const targets = (node.outgoing || []).map((f) => f.targetRef);
        const found = [...sources, ...targets].find((n) => n && laneOf.has(n.id));
        if (found) {
          laneOf.set(node.id, laneOf.get(found.id));
          changed = true;
        }
      }
    }
    return laneOf;
  }

  placeNodes() {
    const bands = this.lanes.length ? this.lanes : [null];
    const laneOf = this.laneOfNodes();
    const bandOf = (node) => (this.lanes.length ? laneOf.get(node.id) || this.lanes[0] : null);
    this.grid = new Map(); // node id -> { col, rowTop }
    this.bands = [];
    let top = 0;
    this.maxCol = 0;
    for (const band of bands) {
      const members = this.nodes.filter((n) => bandOf(n) === band);
      const rows = [...new Set(members.map((n) => this.gridRow(n)))].sort((a, b) => a - b);
      const height = Math.max(1, rows.length) * CELL_H;
      for (const node of members) {
        const bounds = this.shapes.get(node.id).bounds;
        const col = Math.floor(bounds.x / CELL_W);
        const rowTop = top + rows.indexOf(this.gridRow(node)) * CELL_H;
        this.grid.set(node.id, { col, rowTop });
        this.maxCol = Math.max(this.maxCol, col);
        bounds.x = ORIGIN_X + bounds.x;
        bounds.y = rowTop + (CELL_H - bounds.height) / 2;
      }
      this.bands.push({ lane: band, top, height });
      top += height;
    }
    this.height = top;
    this.width = LABEL_STRIP + (this.maxCol + 1) * CELL_W + RIGHT_MARGIN;
  }

  gridRow(node) {
    const bounds = this.shapes.get(node.id).bounds;
    return Math.round((bounds.y + bounds.height / 2 - CELL_H / 2) / CELL_H);
  }

  placeBoundaries() {
    for (const event of this.boundaries) {
      const bounds = this.shapes.get(event.id).bounds;
      const host = this.shapes.get(event.attachedToRef.id);
      bounds.x = ORIGIN_X + bounds.x; // its host kept its column, so it keeps its offset
      bounds.y = host.bounds.y + host.bounds.height - bounds.height / 2;
      this.grid.set(event.id, this.grid.get(event.attachedToRef.id));
      if (event.name) {
        // Left of the event, under its host: bpmn-js would centre the name under the event,
        // across the outgoing flow that leaves it downwards.
        this.shapes.get(event.id).label = this.create('bpmndi:BPMNLabel', {
          bounds: this.create('dc:Bounds', { x: bounds.x - BOUNDARY_LABEL_W - 4, y: host.bounds.y + host.bounds.height + 2,
            width: BOUNDARY_LABEL_W, height: 27 }),
        });
      }
    }
  }

  // -- routing ------------------------------------------------------------------------
  gapX(col) {
    return this.spread(`x:${col}`, ORIGIN_X + col * CELL_W, GAP_X_OFFSETS);
  }

  gapY(y) {
    return this.spread(`y:${y}`, y, GAP_Y_OFFSETS);
  }

  spread(key, base, offsets) {
    const used = this.gapUse.get(key) || 0;
    this.gapUse.set(key, used + 1);
    return base + offsets[used % offsets.length];
  }

  route(flow) {
    const source = flow.sourceRef;
    const target = flow.targetRef;
    const s = box(this.shapes.get(source.id).bounds);
    const t = box(this.shapes.get(target.id).bounds);
    const sCell = this.grid.get(source.id);
    const tCell = this.grid.get(target.id);
    let points;
    if (is(source, 'bpmn:BoundaryEvent')) {
      // Leave downwards, run along the gap under the host's row, enter the target from the left.
      const gy = this.gapY(sCell.rowTop + CELL_H);
      const gx = this.gapX(tCell.col);
      points = [{ x: s.cx, y: s.bottom }, { x: s.cx, y: gy }, { x: gx, y: gy }, { x: gx, y: t.cy },
        { x: t.left, y: t.cy }];
    } else if (tCell.col > sCell.col) {
      points = this.forward(source, target, s, t, sCell, tCell);
    } else {
      points = this.backward(source, s, t, sCell, tCell);
    }
    return simplify(points.map((p) => ({ x: Math.round(p.x), y: Math.round(p.y) })));
  }

  forward(source, target, s, t, sCell, tCell) {
    if (s.cy === t.cy && this.clear({ x: s.right, y: s.cy }, { x: t.left, y: t.cy }, source, target)) {
      return [{ x: s.right, y: s.cy }, { x: t.left, y: t.cy }];
    }
    const ga = this.gapX(sCell.col + 1);
    if (this.clear({ x: ga, y: t.cy }, { x: t.left, y: t.cy }, source, target)) {
      return [{ x: s.right, y: s.cy }, { x: ga, y: s.cy }, { x: ga, y: t.cy }, { x: t.left, y: t.cy }];
    }
    // Through the horizontal gap next to the target's row, then the gap left of its cell.
    const gy = this.gapY(tCell.rowTop > sCell.rowTop ? tCell.rowTop : tCell.rowTop + CELL_H);
    const gb = this.gapX(tCell.col);
    return [{ x: s.right, y: s.cy }, { x: ga, y: s.cy }, { x: ga, y: gy }, { x: gb, y: gy },
      { x: gb, y: t.cy }, { x: t.left, y: t.cy }];
  }

  backward(source, s, t, sCell, tCell) {
    // Back to an earlier column (a loop): above the source's row when the target is not
    // below it, or when boundary events hang under the source; below it otherwise.
    const hasAttachers = this.boundaries.some((b) => b.attachedToRef === source);
    const goUp = tCell.rowTop <= sCell.rowTop || hasAttachers;
    const gy = this.gapY(goUp ? sCell.rowTop : sCell.rowTop + CELL_H);
    const gx = this.gapX(tCell.col);
    const exit = goUp ? { x: s.cx, y: s.top } : { x: s.cx, y: s.bottom };
    return [exit, { x: s.cx, y: gy }, { x: gx, y: gy }, { x: gx, y: t.cy }, { x: t.left, y: t.cy }];
  }

  clear(a, b, ...except) {
    const skip = new Set(except.map((e) => e.id));
    const [x1, x2] = [Math.min(a.x, b.x), Math.max(a.x, b.x)];
    const [y1, y2] = [Math.min(a.y, b.y), Math.max(a.y, b.y)];
    for (const [id, shape] of this.shapes) {
      if (skip.has(id) || !this.grid.has(id)) continue;
      const r = box(shape.bounds);
      if (r.left < x2 && r.right > x1 && r.top <= y2 && r.bottom >= y1) return false;
    }
    return true;
  }

  // -- pool and lanes -----------------------------------------------------------------
  participant() {
    if (!this.collaboration) {
      const participant = this.create('bpmn:Participant', {
        id: `Participant_${this.process.id}`, name: this.process.name, processRef: this.process,
      });
      this.collaboration = this.create('bpmn:Collaboration', {
        id: `Collaboration_${this.process.id}`, participants: [participant],
      });
      participant.$parent = this.collaboration;
      this.collaboration.$parent = this.definitions;
      const roots = this.definitions.rootElements;
      roots.splice(roots.indexOf(this.process), 0, this.collaboration);
    }
    return this.collaboration.participants.find((p) => p.processRef === this.process);
  }

  poolShape(participant) {
    return this.shape(participant, { x: 0, y: 0, width: LABEL_STRIP + this.width, height: this.height });
  }

  laneShapes() {
    return this.bands.filter((b) => b.lane).map((b) => this.shape(b.lane, {
      x: LABEL_STRIP, y: b.top, width: this.width, height: b.height,
    }));
  }

  shape(element, bounds) {
    return this.create('bpmndi:BPMNShape', {
      id: `${element.id}_di`, bpmnElement: element, isHorizontal: true,
      bounds: this.create('dc:Bounds', bounds),
    });
  }

  create(type, attrs) {
    return this.moddle.create(type, attrs);
  }
}

function box(bounds) {
  return {
    left: bounds.x, right: bounds.x + bounds.width, top: bounds.y, bottom: bounds.y + bounds.height,
    cx: bounds.x + bounds.width / 2, cy: bounds.y + bounds.height / 2,
  };
}

function simplify(points) {
  const out = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && last.x === p.x && last.y === p.y) continue;
    const before = out[out.length - 2];
    if (before && last && ((before.x === last.x && last.x === p.x) || (before.y === last.y && last.y === p.y))) {
      out[out.length - 1] = p; // drop a point in the middle of a straight run
      continue;
    }
    out.push(p);
  }
  return out;
}

// moddle drops comments: carry the source's leading comments over, and say where it came from.
function withLeadingComments(out, source, sourcePath) {
  const head = source.slice(0, Math.max(0, source.search(/<bpmn:definitions\b|<definitions\b/)));
  const comments = head.match(/<!--[\s\S]*?-->/g) || [];
  const note = `<!-- Generated by tools/bpmn-layout.mjs from ${sourcePath}: edit the source, then run \`make layout\`. -->`;
  const declaration = out.match(/^<\?xml[^>]*\?>\n?/);
  const rest = declaration ? out.slice(declaration[0].length) : out;
  return (declaration ? declaration[0] : '') + [note, ...comments].join('\n') + '\n' + rest;
}

async function main(argv) {
  if (argv.length < 1 || argv.length > 2 || argv[0].startsWith('-')) {
    process.stderr.write('usage: node tools/bpmn-layout.mjs SOURCE.bpmn [TARGET.bpmn]\n');
    return 2;
  }
  const [source, target] = argv;
  const xml = await readFile(source, 'utf8');
  const out = withLeadingComments(await layoutBpmn(xml), xml, source);
  if (target) {
    await writeFile(target, out, 'utf8');
  } else {
    process.stdout.write(out);
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => {
    process.stderr.write(`bpmn-layout: ${err.message}\n`);
    process.exitCode = 1;
  });
}
