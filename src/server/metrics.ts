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

/** One gauge or counter sample for {@linkcode renderMetrics}. */
export interface Sample {
  name: string;
  help: string;
  type: "gauge" | "counter";
  value: number | bigint;
}

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

/** Builds a Prometheus text exposition. */
export class Exposition {
  #lines: string[] = [];

  /** A single unlabelled gauge or counter. */
  sample(s: Sample): this {
    this.#lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`);
    this.#lines.push(`${s.name} ${num(s.value)}`);
    return this;
  }

  /** A counter with one label. `known` values are always written (as 0 when unseen). */
  labelled(
    name: string,
    help: string,
    label: string,
    counter: LabelledCounter,
    known: readonly string[] = [],
  ): this {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    const keys = new Set([...known, ...counter.values.keys()]);
    for (const key of [...keys].sort()) {
      this.#lines.push(`${name}{${label}="${escapeLabel(key)}"} ${counter.get(key)}`);
    }
    return this;
  }

  /** A histogram. */
  histogram(name: string, help: string, h: Histogram): this {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    h.buckets.forEach((le, i) => this.#lines.push(`${name}_bucket{le="${le}"} ${h.counts[i]}`));
    this.#lines.push(`${name}_bucket{le="+Inf"} ${h.count}`);
    this.#lines.push(`${name}_sum ${h.sum}`, `${name}_count ${h.count}`);
    return this;
  }

  /** The exposition text. */
  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}
