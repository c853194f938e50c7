/**
 * A checker of the Prometheus text exposition format (0.0.4), so that a machine without Go (or
 * promtool) still catches a bad metric. It enforces what `promtool check metrics` does (one
 * HELP and one TYPE per family, before its samples; names snake_case without colons; a counter
 * ends in `_total` and nothing else does; `_bucket`, `_count`, `_sum`, `le` and `quantile` left
 * to histograms and summaries; base units, spelled out; no type in a name) and, beyond promtool,
 * the structure the format requires and Prometheus relies on: a family's samples together, a
 * histogram's `_bucket` lines ascending and cumulative up to `le="+Inf"`, equal to its
 * `_count`, and a `_sum`.
 *
 * @module
 */

const namePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const samplePattern = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?[0-9]+)?$/;
const labelPattern = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/;
const types = ["counter", "gauge", "histogram", "summary", "untyped"];
/** Prefixed or non-base units (use the base unit: seconds, bytes, a ratio). */
const nonBaseUnits =
  /_(nano|micro|milli|centi|kilo|kibi|mega|mebi|giga|gibi|tera|tebi)?(seconds|bytes|meters)(_|$)|_(minutes|hours|days|weeks|percent)(_|$)/;
const abbreviations = /_(ms|us|ns|sec|secs|min|mins|hr|hrs|kb|mb|gb|kib|mib|gib|pct|cnt)(_|$)/;

/** One sample line, parsed. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One family: its HELP, TYPE and samples. */
export interface MetricFamily {
  name: string;
  help?: string;
  type?: string;
  samples: Sample[];
}

function parseLabels(text: string): Record<string, string> | null {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = labelPattern.exec(rest);
    if (match === null || match[1] in labels) return null;
    labels[match[1]] = match[2];
    rest = rest.slice(match[0].length);
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  return /^[-+]?[0-9.]+(e[-+]?[0-9]+)?$/i.test(text) ? Number(text) : Number.NaN - 1;
}

/** The family a sample belongs to: its name less a histogram's or summary's suffix. */
function familyOf(name: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  if (families.has(name)) return families.get(name);
  const base = name.replace(/_(bucket|sum|count)$/, "");
  const family = families.get(base);
  return family?.type === "histogram" || family?.type === "summary" ? family : undefined;
}

/** Parse an exposition; syntax problems go to `problems`. */
export function parseExposition(text: string, problems: string[]): MetricFamily[] {
  const families = new Map<string, MetricFamily>();
  const order: MetricFamily[] = [];
  let current: MetricFamily | undefined;
  if (!text.endsWith("\n")) problems.push("The exposition does not end with a newline");
  const lines = text.split("\n").slice(0, -1);
  lines.forEach((line, i) => {
    const where = `line ${i + 1} (${line})`;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest = ""] = meta;
      let family = families.get(name);
      if (family === undefined) {
        family = { name, samples: [] };
        families.set(name, family);
        order.push(family);
      } else if (family !== current || family.samples.length > 0) {
        problems.push(`${where}: ${kind} of ${name} after its samples or another family's lines`);
      }
      current = family;
      if (kind === "HELP") {
        if (family.help !== undefined) problems.push(`${where}: a second HELP for ${name}`);
        family.help = rest;
      } else {
        if (family.type !== undefined) problems.push(`${where}: a second TYPE for ${name}`);
        if (!types.includes(rest)) problems.push(`${where}: unknown type '${rest}'`);
        family.type = rest;
      }
      return;
    }
    if (line.startsWith("#")) return;
    const match = samplePattern.exec(line);
    const labels = match === null ? null : parseLabels(match[3] ?? "");
    if (match === null || labels === null) return problems.push(`${where}: not a sample line`);
    const value = parseValue(match[4]);
    if (Number.isNaN(value) && match[4] !== "NaN") problems.push(`${where}: bad value`);
    const family = familyOf(match[1], families);
    if (family === undefined) return problems.push(`${where}: a sample before its HELP and TYPE`);
    if (family !== current) problems.push(`${where}: samples of ${family.name} are not together`);
    family.samples.push({ name: match[1], labels, value });
  });
  return order;
}

function nameProblems(f: MetricFamily): string[] {
  const out: string[] = [];
  const n = f.name;
  if (!namePattern.test(n)) out.push(`${n}: not a valid name without colons`);
  if (/[A-Z]/.test(n)) out.push(`${n}: camelCase (use snake_case)`);
  if (f.help === undefined || f.help.trim() === "") out.push(`${n}: no HELP text`);
  if (f.type === undefined) out.push(`${n}: no TYPE`);
  if (f.type === "counter" && !n.endsWith("_total")) {
    out.push(`${n}: a counter not ending in _total`);
  }
  if (f.type !== "counter" && n.endsWith("_total")) out.push(`${n}: _total on a ${f.type}`);
  const aggregate = f.type === "histogram" || f.type === "summary";
  if (/_bucket$/.test(n) || (!aggregate && /_(count|sum)$/.test(n))) {
    out.push(`${n}: a ${f.type} named with a histogram's or summary's reserved suffix`);
  }
  for (const t of types) {
    if (new RegExp(`_${t}(_|$)`).test(n)) out.push(`${n}: the type '${t}' in the name`);
  }
  const unit = nonBaseUnits.exec(n);
  if (unit !== null && (unit[1] !== undefined || unit[4] !== undefined)) {
    out.push(`${n}: a non-base unit (use seconds, bytes or a ratio)`);
  }
  if (abbreviations.test(n)) out.push(`${n}: an abbreviated unit`);
  return out;
}

function histogramProblems(f: MetricFamily): string[] {
  const out: string[] = [];
  const series = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le: _, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const [key, samples] of series) {
    const where = `${f.name}${key === "[]" ? "" : ` ${key}`}`;
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`);
    const count = samples.find((s) => s.name === `${f.name}_count`);
    if (samples.find((s) => s.name === `${f.name}_sum`) === undefined) {
      out.push(`${where}: no _sum`);
    }
    if (count === undefined) out.push(`${where}: no _count`);
    if (buckets.some((b) => b.labels.le === undefined)) out.push(`${where}: a bucket without le`);
    const bounds = buckets.map((b) => parseValue(b.labels.le ?? ""));
    if (bounds.some((b, i) => i > 0 && !(b > bounds[i - 1]))) {
      out.push(`${where}: le not ascending`);
    }
    if (buckets.some((b, i) => i > 0 && b.value < buckets[i - 1].value)) {
      out.push(`${where}: buckets not cumulative`);
    }
    const last = buckets[buckets.length - 1];
    if (last?.labels.le !== "+Inf") out.push(`${where}: no le="+Inf" bucket last`);
    else if (count !== undefined && last.value !== count.value) {
      out.push(`${where}: the +Inf bucket differs from _count`);
    }
  }
  return out;
}

function sampleProblems(f: MetricFamily): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const s of f.samples) {
    const key = `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
    if (seen.has(key)) out.push(`${f.name}: the sample ${key} twice`);
    seen.add(key);
    for (const label of Object.keys(s.labels)) {
      if (label.startsWith("__")) out.push(`${f.name}: the reserved label ${label}`);
      if (/[A-Z]/.test(label)) out.push(`${f.name}: the camelCase label ${label}`);
      if (label === "le" && f.type !== "histogram") out.push(`${f.name}: le on a ${f.type}`);
      if (label === "quantile" && f.type !== "summary") {
        out.push(`${f.name}: quantile on a ${f.type}`);
      }
    }
    if (f.type === "counter" && !(s.value >= 0)) out.push(`${f.name}: a counter at ${s.value}`);
  }
  return out;
}

/**
 * Every problem of an exposition, one line each (none: it passes).
 *
 * @example
 * ```ts
 * checkExposition("# HELP a_count A.\n# TYPE a_count counter\na_count 1\n");
 * // ["a_count: a counter not ending in _total", ...]
 * ```
 */
export function checkExposition(text: string): string[] {
  const problems: string[] = [];
  for (const f of parseExposition(text, problems)) {
    problems.push(...nameProblems(f), ...sampleProblems(f));
    if (f.type === "histogram") problems.push(...histogramProblems(f));
  }
  return problems;
}
