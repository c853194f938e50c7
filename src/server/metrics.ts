/**
 * Counters and histograms of the HTTP server, rendered in the Prometheus text exposition
 * format (version 0.0.4).
 *
 * @module
 */

/** Default latency buckets, in seconds. */
export const latencyBuckets: readonly number[] = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

/** A cumulative histogram. */
export class Histogram {
  readonly buckets: readonly number[];
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(buckets: readonly number[] = latencyBuckets) {
    this.buckets = buckets;
    this.counts = buckets.map(() => 0);
  }

  /** Record one observation (seconds). */
  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= this.buckets[i]) this.counts[i]++;
    }
  }
}

/** A counter keyed by its labels' values (joined by {@linkcode labelKey} when several). */
export class LabelledCounter {
  readonly values = new Map<string, number>();

  inc(label: string, by = 1): void {
    this.values.set(label, (this.values.get(label) ?? 0) + by);
  }

  get(label: string): number {
    return this.values.get(label) ?? 0;
  }

  total(): number {
    let sum = 0;
    for (const v of this.values.values()) sum += v;
    return sum;
  }
}

/** Histograms keyed by one label's value, made on first use. */
export class LabelledHistogram {
  readonly buckets: readonly number[];
  readonly values = new Map<string, Histogram>();

  constructor(buckets: readonly number[]) {
    this.buckets = buckets;
  }

  /** The histogram of label value `label`. */
  of(label: string): Histogram {
    let histogram = this.values.get(label);
    if (histogram === undefined) {
      histogram = new Histogram(this.buckets);
      this.values.set(label, histogram);
    }
    return histogram;
  }
}

/** The key of a counter with several labels: their values, in the family's label order. */
export function labelKey(values: readonly string[]): string {
  return values.join("\u0000");
}

/**
 * A gauge or counter whose one value is read from the state when rendered; `null` leaves the
 * family out (a value this platform or permission set cannot read).
 */
export interface SampleFamily<S> {
  name: string;
  help: string;
  type: "gauge" | "counter";
  value: (state: S) => number | bigint | null;
  /** Labels of the one sample (an info metric's). */
  labels?: (state: S) => Record<string, string>;
}

/** A counter kept by its labels' values (`inc` it through {@linkcode MetricSet.counter}). */
export interface LabelledFamily {
  name: string;
  help: string;
  type: "counter";
  /** One label, or several (the counter is then keyed by {@linkcode labelKey}). */
  label: string | readonly string[];
  /** Values always written, as 0 when unseen. */
  known?: readonly string[];
}

/** A histogram (`observe` it through {@linkcode MetricSet.histogram}, or through
 * {@linkcode MetricSet.histograms} when it has a label). */
export interface HistogramFamily {
  name: string;
  help: string;
  type: "histogram";
  buckets: readonly number[];
  label?: string;
}

/** One metric family: one entry of a {@linkcode MetricSet}'s table. */
export type Family<S> = SampleFamily<S> | LabelledFamily | HistogramFamily;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function num(value: number | bigint): string {
  if (typeof value === "bigint") return value.toString();
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/**
 * The metrics of a table of families: it keeps the labelled counters and histograms, reads
 * the other values from a state `S`, and renders them all in table order.
 *
 * @example
 * ```ts
 * const set = new MetricSet<{ up: boolean }>([
 *   { name: "up", help: "Serving.", type: "gauge", value: (s) => (s.up ? 1 : 0) },
 *   { name: "hits_total", help: "Hits.", type: "counter", label: "code" },
 * ]);
 * set.counter("hits_total").inc("200");
 * set.render({ up: true }); // "# HELP up Serving.\n# TYPE up gauge\nup 1\n..."
 * ```
 */
export class MetricSet<S> {
  #families: readonly Family<S>[];
  #counters = new Map<string, LabelledCounter>();
  #histograms = new Map<string, Histogram>();
  #labelledHistograms = new Map<string, LabelledHistogram>();

  constructor(families: readonly Family<S>[]) {
    this.#families = families;
    const names = new Set<string>();
    for (const f of families) {
      if (names.has(f.name)) throw new Error(`Metric family ${f.name} is in the table twice`);
      names.add(f.name);
      if (f.type === "histogram" && f.label !== undefined) {
        this.#labelledHistograms.set(f.name, new LabelledHistogram(f.buckets));
      } else if (f.type === "histogram") this.#histograms.set(f.name, new Histogram(f.buckets));
      else if ("label" in f) this.#counters.set(f.name, new LabelledCounter());
    }
  }

  /** The labelled counter of family `name`. */
  counter(name: string): LabelledCounter {
    const counter = this.#counters.get(name);
    if (counter === undefined) throw new Error(`No labelled counter ${name} in the table`);
    return counter;
  }

  /** The histogram of family `name`. */
  histogram(name: string): Histogram {
    const histogram = this.#histograms.get(name);
    if (histogram === undefined) throw new Error(`No histogram ${name} in the table`);
    return histogram;
  }

  /** The histograms, by label value, of family `name`. */
  histograms(name: string): LabelledHistogram {
    const histograms = this.#labelledHistograms.get(name);
    if (histograms === undefined) throw new Error(`No labelled histogram ${name} in the table`);
    return histograms;
  }

  /** The Prometheus text exposition (0.0.4) of every family, in table order. */
  render(state: S): string {
    const lines: string[] = [];
    for (const f of this.#families) {
      const head = [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`];
      if (f.type === "histogram" && f.label !== undefined) {
        lines.push(...head);
        const all = this.histograms(f.name).values;
        for (const key of [...all.keys()].sort()) {
          histogramLines(lines, f.name, all.get(key)!, `${f.label}="${escapeLabel(key)}",`);
        }
      } else if (f.type === "histogram") {
        lines.push(...head);
        histogramLines(lines, f.name, this.histogram(f.name), "");
      } else if ("label" in f) {
        lines.push(...head);
        counterLines(lines, f, this.counter(f.name));
      } else {
        const value = f.value(state);
        if (value === null) continue;
        const labels = f.labels === undefined ? "" : `{${labelText(f.labels(state))}}`;
        lines.push(...head, `${f.name}${labels} ${num(value)}`);
      }
    }
    return lines.join("\n") + "\n";
  }
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",");
}

function histogramLines(lines: string[], name: string, h: Histogram, labels: string): void {
  h.buckets.forEach((le, i) => lines.push(`${name}_bucket{${labels}le="${le}"} ${h.counts[i]}`));
  lines.push(`${name}_bucket{${labels}le="+Inf"} ${h.count}`);
  const braces = labels === "" ? "" : `{${labels.slice(0, -1)}}`;
  lines.push(`${name}_sum${braces} ${h.sum}`, `${name}_count${braces} ${h.count}`);
}

function counterLines(lines: string[], f: LabelledFamily, counter: LabelledCounter): void {
  const names = typeof f.label === "string" ? [f.label] : f.label;
  const keys = new Set([...(f.known ?? []), ...counter.values.keys()]);
  for (const key of [...keys].sort()) {
    const values = names.length === 1 ? [key] : key.split("\u0000");
    const labels = labelText(Object.fromEntries(names.map((n, i) => [n, values[i] ?? ""])));
    lines.push(`${f.name}{${labels}} ${counter.get(key)}`);
  }
}

/**
 * The `q`-quantile (0 < q < 1) of a histogram, interpolated linearly within its bucket the way
 * Prometheus' `histogram_quantile` does; null when it holds no observation, the highest finite
 * bound when the quantile falls in the `+Inf` bucket.
 *
 * @example
 * ```ts
 * const h = new Histogram([1, 2]);
 * h.observe(0.5);
 * h.observe(1.5);
 * quantile(h, 0.5); // 1
 * ```
 */
export function quantile(h: Histogram, q: number): number | null {
  if (h.count === 0) return null;
  const rank = q * h.count;
  let below = 0;
  let lower = 0;
  for (let i = 0; i < h.buckets.length; i++) {
    const upper = h.buckets[i];
    if (h.counts[i] >= rank) {
      const inBucket = h.counts[i] - below;
      return inBucket === 0 ? upper : lower + (upper - lower) * (rank - below) / inBucket;
    }
    below = h.counts[i];
    lower = upper;
  }
  return h.buckets[h.buckets.length - 1] ?? null;
}
