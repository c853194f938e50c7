/**
 * A small flame-graph renderer: folded stacks (the format of `flamegraph.pl`, one
 * `outer;...;inner value` line per call path) to a standalone SVG. Frames are laid out
 * bottom-up, each as wide as its share of the total; frames too narrow to see are dropped
 * and the number of frames drawn is budgeted, so the output stays small whatever the input.
 *
 * @module
 */

/** Options of {@linkcode renderFlameGraph}. */
export interface FlameGraphOptions {
  /** Title drawn at the top. Default "Flame graph". */
  title?: string;
  /** Image width in pixels. Default 1200. */
  width?: number;
  /** Most frames drawn (the widest first); the rest are dropped. Default 5000. */
  maxFrames?: number;
  /** Frames narrower than this many pixels are dropped. Default 0.5. */
  minWidth?: number;
  /** Unit of the values, for tooltips. Default "us". */
  unit?: string;
}

interface Frame {
  name: string;
  total: number;
  children: Map<string, Frame>;
}

const frameHeight = 17;
const top = 36;

/** Parse folded stacks into a tree whose totals include the children. */
function parseFolded(folded: string): Frame {
  const root: Frame = { name: "all", total: 0, children: new Map() };
  for (const line of folded.split("\n")) {
    const space = line.lastIndexOf(" ");
    if (space <= 0) continue;
    const value = Number(line.slice(space + 1));
    if (!Number.isFinite(value) || value <= 0) continue;
    let frame = root;
    root.total += value;
    for (const name of line.slice(0, space).split(";")) {
      let child = frame.children.get(name);
      if (child === undefined) {
        child = { name, total: 0, children: new Map() };
        frame.children.set(name, child);
      }
      child.total += value;
      frame = child;
    }
  }
  return root;
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** A warm colour from the frame's name (stable across renders). */
function colour(name: string): string {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619);
  const h = hash >>> 0;
  return `rgb(${205 + (h % 50)},${80 + ((h >>> 8) % 130)},${(h >>> 16) % 55})`;
}

interface Placed {
  frame: Frame;
  x: number;
  depth: number;
}

/** Frames to draw, widest first within the budget (an explicit queue, no recursion). */
function layout(root: Frame, width: number, maxFrames: number, minWidth: number): Placed[] {
  const scale = root.total === 0 ? 0 : width / root.total;
  const placed: Placed[] = [];
  const queue: Placed[] = [{ frame: root, x: 0, depth: 0 }];
  while (queue.length > 0 && placed.length < maxFrames) {
    const item = queue.shift()!;
    placed.push(item);
    let x = item.x;
    const children = [...item.frame.children.values()].sort((a, b) => a.name < b.name ? -1 : 1);
    for (const child of children) {
      if (child.total * scale >= minWidth) queue.push({ frame: child, x, depth: item.depth + 1 });
      x += child.total * scale;
    }
  }
  return placed;
}

/**
 * Render folded stacks as an SVG flame graph.
 *
 * @example
 * ```ts
 * import { renderFlameGraph } from "./flamegraph.ts";
 * const svg = renderFlameGraph("main;parse 30\nmain;eval 70\n");
 * console.log(svg.startsWith("<?xml")); // true
 * ```
 */
export function renderFlameGraph(folded: string, options: FlameGraphOptions = {}): string {
  const width = options.width ?? 1200;
  const unit = options.unit ?? "us";
  const root = parseFolded(folded);
  const placed = layout(root, width - 20, options.maxFrames ?? 5000, options.minWidth ?? 0.5);
  const depth = placed.reduce((max, p) => Math.max(max, p.depth), 0);
  const height = top + (depth + 1) * frameHeight + 10;
  const scale = root.total === 0 ? 0 : (width - 20) / root.total;
  const parts = [
    `<?xml version="1.0" standalone="no"?>`,
    `<svg version="1.1" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`,
    `<rect width="100%" height="100%" fill="#f8f4ec"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-family="Verdana" font-size="16">${
      escapeXml(options.title ?? "Flame graph")
    }</text>`,
  ];
  for (const { frame, x, depth: d } of placed) {
    const w = frame.total * scale;
    const y = height - 10 - (d + 1) * frameHeight;
    const share = root.total === 0 ? 0 : (100 * frame.total) / root.total;
    const label = `${frame.name} (${frame.total} ${unit}, ${share.toFixed(2)}%)`;
    const fits = Math.floor((w - 6) / 7);
    const text = fits < 3
      ? ""
      : frame.name.length <= fits
      ? frame.name
      : `${frame.name.slice(0, fits - 2)}..`;
    parts.push(
      `<g><title>${escapeXml(label)}</title>` +
        `<rect x="${(10 + x).toFixed(2)}" y="${y}" width="${w.toFixed(2)}" ` +
        `height="${frameHeight - 1}" fill="${colour(frame.name)}" rx="2"/>` +
        (text === "" ? "" : `<text x="${(13 + x).toFixed(2)}" y="${y + 12}" ` +
          `font-family="Verdana" font-size="12">${escapeXml(text)}</text>`) +
        `</g>`,
    );
  }
  parts.push(`</svg>`, "");
  return parts.join("\n");
}
