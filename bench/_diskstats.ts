/**
 * The disk's own counters, from `/proc/diskstats`, for the device that holds a path: writes
 * completed and flush requests completed. Benchmarks take them before and after a run, so a
 * figure cannot hide a commit that never reached the disk (the device is shared with anything
 * else running, so the counts are an upper bound on the run's own).
 *
 * @module
 */

/** Counters of one block device. */
export interface DiskCounters {
  device: string;
  writes: number;
  flushes: number;
}

/** The counters of the device holding `path`, or null when /proc/diskstats lacks it. */
export function diskCounters(path: string): DiskCounters | null {
  const dev = Deno.statSync(path).dev;
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = dev & 0xff;
  const text = readDiskstats();
  if (text === null) return null;
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (Number(f[0]) !== major || Number(f[1]) !== minor) continue;
    // Field 8 (index 7): writes completed; field 19 (index 18): flush requests completed.
    return { device: f[2], writes: Number(f[7]), flushes: f.length > 18 ? Number(f[18]) : NaN };
  }
  return null;
}

/** `after - before`, per field (NaN when either is unknown). */
export function diskDelta(
  before: DiskCounters | null,
  after: DiskCounters | null,
): { writes: number; flushes: number } {
  if (before === null || after === null) return { writes: NaN, flushes: NaN };
  return { writes: after.writes - before.writes, flushes: after.flushes - before.flushes };
}

/** /proc/diskstats (Deno refuses /proc reads without --allow-all: then through `cat`). */
function readDiskstats(): string | null {
  try {
    return Deno.readTextFileSync("/proc/diskstats");
  } catch {
    try {
      const out = new Deno.Command("cat", { args: ["/proc/diskstats"] }).outputSync();
      return out.success ? new TextDecoder().decode(out.stdout) : null;
    } catch {
      return null;
    }
  }
}
