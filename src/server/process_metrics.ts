/**
 * The process's own numbers for `/metrics` (the `process_*` families every Prometheus client
 * exports): CPU seconds, resident and virtual memory, open file descriptors and the start
 * time. On Linux they come from `/proc/self` when the process may read it (Deno asks for
 * `--allow-all` there); otherwise from Deno's own APIs, and what those cannot tell (virtual
 * memory, descriptors) is left out rather than guessed.
 *
 * @module
 */

import process from "node:process";

/** One reading of the process. */
export interface ProcessSample {
  /** User plus system CPU time, in seconds. */
  cpuSeconds: number;
  residentBytes: number;
  /** Null where it cannot be read. */
  virtualBytes: number | null;
  /** Null where it cannot be read. */
  openFds: number | null;
  /** Null where it cannot be read. */
  maxFds: number | null;
  /** When the process started, in seconds since the Unix epoch. */
  startTimeSeconds: number;
}

/** `/proc/self` as far as it can be read; null when it cannot (another OS, no permission). */
function fromProc(): Omit<ProcessSample, "cpuSeconds" | "startTimeSeconds"> | null {
  if (Deno.build.os !== "linux") return null;
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kib = (field: string) => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
      return match === null ? null : Number(match[1]) * 1024;
    };
    let openFds = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) openFds++;
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const max = /^Max open files\s+(\d+)/m.exec(limits);
    return {
      residentBytes: kib("VmRSS") ?? Deno.memoryUsage().rss,
      virtualBytes: kib("VmSize"),
      openFds: openFds - 1, // the directory being read is one of them
      maxFds: max === null ? null : Number(max[1]),
    };
  } catch {
    return null;
  }
}

/**
 * Read the process's numbers now.
 *
 * @example
 * ```ts
 * import { sampleProcess } from "./process_metrics.ts";
 * console.log(sampleProcess().residentBytes);
 * ```
 */
export function sampleProcess(): ProcessSample {
  const cpu = process.cpuUsage();
  const proc = fromProc();
  return {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    residentBytes: proc?.residentBytes ?? Deno.memoryUsage().rss,
    virtualBytes: proc?.virtualBytes ?? null,
    openFds: proc?.openFds ?? null,
    maxFds: proc?.maxFds ?? null,
    startTimeSeconds: Math.floor(performance.timeOrigin / 1000),
  };
}
