// The model's diagram as SVG: its layers as boxes with their output shapes, top to bottom in
// the order data flows, its loss terms under the layers they take, and a GAN's real and fake
// paths into the discriminator in their own colours (as GAN Lab draws them). The Session
// describes the graph (each config's `diagram`, src/model/diagram.rs); this module only lays it
// out and draws it, so it names no model. While the user drags the point of the model's plane,
// the path from that point to the image it makes is lit.

const SVG = 'http://www.w3.org/2000/svg';

// Layout, in SVG units (the drawing scales to its box; on a phone about 0.85 of this).
const BOX_WIDTH = 168;
const LINE = 13;
// Reshapes, paddings and flattenings hold no weights: a one-line box.
const THIN_HEIGHT = 22;
const THIN_KINDS = new Set(['reshape', 'pad', 'flatten']);
const COLUMN_GAP = 12;
const ROW_GAP = 16;
// Room at each side for the edges that skip rows, and above the first row for a part's name.
const LANE = 16;
const TOP = 16;
// Characters a box's line holds before it wraps.
const LINE_CHARS = 27;

const create = (name, attributes = {}) => {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
};

const text = (content, attributes, name = 'text') => {
  const node = create(name, attributes);
  node.textContent = content;
  return node;
};

const span = (content, attributes = {}) => text(content, attributes, 'tspan');

/** 784 or 1×28×28. */
export const shapeText = (shape) => shape.join('×');

const integer = (n) => n.toLocaleString('en-US');

/** A loss term cut into lines of about LINE_CHARS characters, at spaces. */
function wrap(term) {
  const lines = [];
  let line = '';
  for (const word of term.split(' ')) {
    if (line && line.length + 1 + word.length > LINE_CHARS) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Rows and columns for the graph's items (layers, then losses). A layer's row is one below
 * its lowest input's; a source sits just above the first layer that takes it (so a GAN's real
 * images sit beside its fake ones); a loss sits one row below the last layer it takes. Each
 * item keeps its input's column (a loss, its last layer's) when that is free, else the
 * nearest free one.
 */
function layout(diagram) {
  const items = new Map();
  for (const node of diagram.nodes) items.set(node.id, { id: node.id, node, inputs: [], outputs: [], row: 0 });
  for (const edge of diagram.edges) {
    items.get(edge.to)?.inputs.push(edge.from);
    items.get(edge.from)?.outputs.push(edge.to);
  }
  for (const item of items.values()) {
    item.row = item.inputs.length ? Math.max(...item.inputs.map((id) => items.get(id).row)) + 1 : 0;
  }
  for (const item of items.values()) {
    if (!item.inputs.length && item.outputs.length) item.row = Math.min(...item.outputs.map((id) => items.get(id).row)) - 1;
  }
  for (const loss of diagram.losses) {
    const taken = loss.nodes.map((id) => items.get(id)).filter(Boolean);
    const last = Math.max(...taken.map((item) => item.row));
    const inLast = taken.filter((item) => item.row === last);
    items.set(`loss:${loss.id}`, { id: `loss:${loss.id}`, loss, inputs: loss.nodes, outputs: [], row: last + 1, near: inLast.at(-1) });
  }
  const used = new Map(); // row -> Set of columns
  for (const item of items.values()) {
    const wanted = item.near?.column ?? items.get(item.inputs[0])?.column ?? 0;
    const row = used.get(item.row) ?? new Set();
    used.set(item.row, row);
    // Away from the middle last, so that the drawing stays narrow.
    const side = wanted > 0 ? -1 : 1;
    let column = wanted;
    for (let step = 1; row.has(column); step++) column = wanted + side * (step % 2 ? 1 : -1) * Math.ceil(step / 2);
    row.add(column);
    item.column = column;
  }
  return items;
}

export class ModelDiagram {
  /**
   * @param {HTMLElement} figure where the SVG goes (it replaces the figure's children but its
   *   caption, if any)
   * @param {{caption?: HTMLElement}} options the caption says what the diagram shows
   */
  constructor(figure, { caption } = {}) {
    this.figure = figure;
    this.caption = caption;
    this.svg = null;
    this.key = null;
    this.diagram = null;
    this.label = null;
    this.point = null;
  }

  /**
   * Draws `diagram` (a config's) of the model called `label`; the same one again changes
   * nothing. `plane`: whether the model's input is a plane whose point the user moves.
   */
  show(diagram, label, plane) {
    const key = JSON.stringify([diagram, label, plane]);
    if (key === this.key) return;
    this.key = key;
    // Another model's point means nothing here; a new beta, say, keeps the point.
    if (label !== this.label) this.point = null;
    this.diagram = diagram;
    this.label = label;
    this.plane = plane;
    this.draw(label);
  }

  /**
   * Lights the path while `dragging()` holds, asked after each pointer event on `canvas`: the
   * latent view's own handlers, added before these, start and end its drag.
   */
  follow(canvas, dragging) {
    const update = () => this.highlight(dragging());
    for (const type of ['pointerdown', 'pointerup', 'pointercancel', 'lostpointercapture']) canvas.addEventListener(type, update);
  }

  /** Lights the path from the plane's point to the image, or puts it out. */
  highlight(on) {
    if (!this.svg) return;
    this.svg.classList.toggle('lit', on);
    this.svg.dataset.highlight = String(on);
  }

  /** Writes the point being decoded into the node it enters by. */
  setPoint(x, y) {
    this.point = { x, y };
    const where = this.svg?.querySelector('.diagram-point');
    if (where) where.textContent = `(${x.toFixed(2)}, ${y.toFixed(2)})`;
  }

  draw(label) {
    const { diagram } = this;
    const items = layout(diagram);
    const columns = [...items.values()].map((item) => item.column);
    const [low, high] = [Math.min(...columns), Math.max(...columns)];
    const width = 2 * LANE + (high - low + 1) * BOX_WIDTH + (high - low) * COLUMN_GAP;
    const heights = new Map(); // row -> height
    for (const item of items.values()) {
      item.height = this.itemHeight(item);
      heights.set(item.row, Math.max(heights.get(item.row) ?? 0, item.height));
    }
    const rows = [...heights.keys()].sort((a, b) => a - b);
    const top = new Map();
    let y = TOP;
    for (const row of rows) {
      top.set(row, y);
      y += heights.get(row) + ROW_GAP;
    }
    for (const item of items.values()) {
      item.x = LANE + (item.column - low) * (BOX_WIDTH + COLUMN_GAP);
      item.y = top.get(item.row) + (heights.get(item.row) - item.height) / 2;
    }
    const height = y - ROW_GAP + 6;

    const decode = new Set(diagram.decode);
    const svg = create('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'diagram', 'data-width': width });
    // Never wider than 1.15 times its size, nor narrower than 0.8 (the figure scrolls).
    svg.style.maxWidth = `${Math.round(width * 1.15)}px`;
    svg.style.minWidth = `${Math.round(width * 0.8)}px`;
    svg.setAttribute('aria-label', this.summary(label));
    const edges = create('g', { class: 'diagram-edges' });
    const boxes = create('g', { class: 'diagram-boxes' });
    svg.append(edges, boxes);

    let lane = 0;
    const connect = (from, to, attributes) => {
      const [a, b] = [items.get(from), items.get(to)];
      if (!a || !b) return;
      let d;
      if (b.row - a.row === 1) {
        // A box with several inputs takes them side by side (a GAN's real and fake images).
        const order = [...b.inputs].sort((p, q) => (items.get(p)?.column ?? 0) - (items.get(q)?.column ?? 0));
        const spread = 28 * (order.indexOf(from) - (b.inputs.length - 1) / 2);
        const [x0, y0, x1, y1] = [a.x + BOX_WIDTH / 2, a.y + a.height, b.x + BOX_WIDTH / 2 + spread, b.y];
        const mid = (y0 + y1) / 2;
        d = `M${x0},${y0} C${x0},${mid} ${x1},${mid} ${x1},${y1}`;
      } else {
        // Skips rows: out of the side, down a lane beside the boxes, and in at the side.
        const left = a.column <= (low + high) / 2;
        const offset = 6 + 5 * (lane++ % 3);
        const x = left ? LANE - offset : width - LANE + offset;
        const [ax, bx] = left ? [a.x, b.x] : [a.x + BOX_WIDTH, b.x + BOX_WIDTH];
        const [ay, by] = [a.y + a.height / 2, b.y + b.height / 2];
        d = `M${ax},${ay} H${x} V${by} H${bx}`;
      }
      const path = create('path', { d, ...attributes });
      edges.append(path);
      return path;
    };
    for (const edge of diagram.edges) {
      const lit = decode.has(edge.from) && decode.has(edge.to);
      const path = connect(edge.from, edge.to, {
        class: `diagram-edge${edge.path ? ` path-${edge.path}` : ''}${lit ? ' decode' : ''}`,
        'data-from': edge.from,
        'data-to': edge.to,
        'marker-end': 'url(#diagram-arrow)',
      });
      if (path && edge.path) path.dataset.path = edge.path;
    }
    for (const loss of diagram.losses) {
      for (const id of loss.nodes) connect(id, `loss:${loss.id}`, { class: 'diagram-edge loss-edge', 'data-from': id, 'data-to': `loss:${loss.id}` });
    }
    svg.prepend(this.arrowHead());

    // Each part's name above its first box.
    const named = new Set();
    for (const item of items.values()) {
      if (item.loss) {
        boxes.append(this.lossBox(item));
        continue;
      }
      const { node } = item;
      const group = this.nodeBox(item, decode.has(node.id));
      if (!named.has(node.part)) {
        named.add(node.part);
        const part = diagram.parts.find((p) => p.id === node.part);
        if (part) group.prepend(text(part.label.toUpperCase(), { x: item.x + 2, y: item.y - 4, class: 'diagram-part' }));
      }
      boxes.append(group);
    }

    this.svg?.remove();
    this.svg = svg;
    this.figure.prepend(svg);
    // A line longer than its box (a long layer name) is squeezed into it.
    for (const line of svg.querySelectorAll('.diagram-node text')) {
      if (line.getComputedTextLength() > BOX_WIDTH - 14) {
        line.setAttribute('textLength', BOX_WIDTH - 14);
        line.setAttribute('lengthAdjust', 'spacingAndGlyphs');
      }
    }
    if (this.point) this.setPoint(this.point.x, this.point.y);
    if (this.caption) this.caption.textContent = this.captionText();
  }

  itemHeight(item) {
    if (item.loss) return 18 + LINE * wrap(item.loss.term).length;
    if (THIN_KINDS.has(item.node.kind)) return THIN_HEIGHT;
    return 10 + LINE * (1 + this.lines(item.node).length);
  }

  /**
   * A layer's lines under its label: its shape (and, where the plane's point enters, the
   * point), then what follows the layer, on the same line when both fit.
   */
  lines(node) {
    const point = this.plane && this.diagram.decode[0] === node.id;
    const first = shapeText(node.shape).length + (point ? 18 : 0);
    if (!node.detail) return [[node.detail, point]];
    return first + 3 + node.detail.length <= LINE_CHARS ? [[node.detail, point]] : [['', point], [node.detail, false]];
  }

  nodeBox(item, onDecodePath) {
    const { node, x, y, height } = item;
    const kind = node.kind;
    const group = create('g', {
      class: `diagram-node kind-${kind} part-${node.part}${onDecodePath ? ' decode' : ''}`,
      'data-node': node.id,
      'data-part': node.part,
      'data-kind': kind,
      'data-shape': shapeText(node.shape),
    });
    const title = create('title');
    const params = node.params ? `, ${integer(node.params)} parameters` : '';
    title.textContent = `${node.label}${node.detail ? ` (${node.detail})` : ''}: output ${shapeText(node.shape)}${params}`;
    group.append(title, create('rect', { x, y, width: BOX_WIDTH, height, rx: 6, class: 'diagram-box' }));
    if (THIN_KINDS.has(kind)) {
      group.append(text(node.label, { x: x + 8, y: y + 15, class: 'diagram-detail' }));
      group.append(text(shapeText(node.shape), { x: x + BOX_WIDTH - 8, y: y + 15, class: 'diagram-shape', 'text-anchor': 'end' }));
      return group;
    }
    group.append(text(node.label, { x: x + 8, y: y + 15, class: 'diagram-label' }));
    this.lines(node).forEach(([detail, point], i) => {
      const line = create('text', { x: x + 8, y: y + 15 + LINE * (i + 1), class: 'diagram-detail' });
      if (i === 0) line.append(span(shapeText(node.shape), { class: 'diagram-shape' }));
      if (point) line.append(span(' · point '), span('', { class: 'diagram-point' }));
      if (detail) line.append(span(i === 0 ? ` · ${detail}` : detail));
      group.append(line);
    });
    return group;
  }

  lossBox(item) {
    const { loss, x, y, height } = item;
    const group = create('g', { class: 'diagram-loss', 'data-loss': loss.id, 'data-takes': loss.nodes.join(' ') });
    const title = create('title');
    title.textContent = `${loss.label}: ${loss.term}`;
    group.append(title, create('rect', { x, y, width: BOX_WIDTH, height, rx: height / 2 > 14 ? 12 : height / 2, class: 'diagram-box' }));
    group.append(text(loss.label, { x: x + 10, y: y + 13, class: 'diagram-label' }));
    wrap(loss.term).forEach((line, i) => group.append(text(line, { x: x + 10, y: y + 26 + 13 * i, class: 'diagram-detail' })));
    return group;
  }

  arrowHead() {
    const defs = create('defs');
    // In the drawing's units, so that a lit (thicker) edge keeps the same arrow.
    const marker = create('marker', {
      id: 'diagram-arrow',
      viewBox: '0 0 8 8',
      refX: 7,
      refY: 4,
      markerUnits: 'userSpaceOnUse',
      markerWidth: 8,
      markerHeight: 8,
      orient: 'auto-start-reverse',
    });
    marker.append(create('path', { d: 'M0,0 L8,4 L0,8 z', class: 'diagram-arrow' }));
    defs.append(marker);
    return defs;
  }

  /** The diagram in words, for a screen reader: each part's layers and shapes, and the losses. */
  summary(label) {
    const { diagram } = this;
    const parts = diagram.parts.map((part) => {
      const nodes = diagram.nodes.filter((n) => n.part === part.id);
      return `${part.label}: ${nodes.map((n) => `${n.label} ${shapeText(n.shape)}`).join(', ')}`;
    });
    const losses = diagram.losses.map((l) => `${l.label}: ${l.term}`);
    return `Diagram of the ${label}. ${parts.join('. ')}. Losses: ${losses.join('; ')}.`;
  }

  captionText() {
    const { diagram } = this;
    const params = diagram.nodes.reduce((sum, n) => sum + n.params, 0);
    const paths = diagram.edges.some((e) => e.path) ? ' Green: the real images’ path; purple: the fake images’ path.' : '';
    return `${integer(params)} trained parameters. Boxes give each layer's output for one image.${paths}`;
  }
}
