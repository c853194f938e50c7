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

/** A counter keyed by one label's value. */
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

/** A gauge or counter whose one value is read from the state when rendered. */
export interface SampleFamily<S> {
  name: string;
  help: string;
  type: "gauge" | "counter";
  value: (state: S) => number | bigint;
}

/** A counter kept by one label's value (`inc` it through {@linkcode MetricSet.counter}). */
export interface LabelledFamily {
  name: string;
  help: string;
  type: "counter";
  label: string;
  /** Values always written, as 0 when unseen. */
  known?: readonly string[];
}

/** A histogram (`observe` it through {@linkcode MetricSet.histogram}). */
export interface HistogramFamily {
  name: string;
  help: string;
  type: "histogram";
  buckets: readonly number[];
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

  constructor(families: readonly Family<S>[]) {
    this.#families = families;
    for (const f of families) {
      if (f.type === "histogram") this.#histograms.set(f.name, new Histogram(f.buckets));
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

  /** The Prometheus text exposition (0.0.4) of every family, in table order. */
  render(state: S): string {
    const lines: string[] = [];
    for (const f of this.#families) {
      lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      if (f.type === "histogram") {
        const h = this.histogram(f.name);
        h.buckets.forEach((le, i) => lines.push(`${f.name}_bucket{le="${le}"} ${h.counts[i]}`));
        lines.push(`${f.name}_bucket{le="+Inf"} ${h.count}`);
        lines.push(`${f.name}_sum ${h.sum}`, `${f.name}_count ${h.count}`);
      } else if ("label" in f) {
        const counter = this.counter(f.name);
        const keys = new Set([...(f.known ?? []), ...counter.values.keys()]);
        for (const key of [...keys].sort()) {
          lines.push(`${f.name}{${f.label}="${escapeLabel(key)}"} ${counter.get(key)}`);
        }
      } else {
        lines.push(`${f.name} ${num(f.value(state))}`);
      }
    }
    return lines.join("\n") + "\n";
  }
}
