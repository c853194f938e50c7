/**
 * Helpers of the runtime tests: data directories with events, a fresh replay of a log for
 * comparison, and the child process of the crash tests.
 *
 * @module
 */

import { Noun, Runtime } from "../mod.ts";
import type { RuntimeOptions } from "../mod.ts";

/** Poke `[%put k<i> i]` for i in [from, from + count). */
export function putMany(runtime: Runtime, from: number, count: number): void {
  for (let i = from; i < from + count; i++) {
    using cause = Noun.from(["put", `k${i}`, i]);
    runtime.poke(cause).effects.dispose();
  }
}

/** Open, run `fn`, close. */
export function withRuntime<T>(options: RuntimeOptions, fn: (runtime: Runtime) => T): T {
  const runtime = Runtime.open(options);
  try {
    return fn(runtime);
  } finally {
    runtime.close();
  }
}

/** The mug of the kernel core, and the event number, of an open data directory. */
export function stateOf(dir: string): { mug: number; event: bigint; level: number } {
  return withRuntime({ dataDir: dir }, (r) => {
    using state = r.state();
    return { mug: state.mug, event: r.eventNumber, level: r.bootReport.level };
  });
}

/** Replay `dir`'s log alone (a copy, no PMA, no snapshots) and return its state. */
export function replayOf(dir: string): { mug: number; event: bigint; level: number } {
  const copy = Deno.makeTempDirSync({ prefix: "cellar-replay-" });
  for (const suffix of ["", "-wal"]) {
    try {
      Deno.copyFileSync(`${dir}/log.sqlite${suffix}`, `${copy}/log.sqlite${suffix}`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  try {
    return stateOf(copy);
  } finally {
    Deno.removeSync(copy, { recursive: true });
  }
}

/** Peek `/get/<key>` and return the value as a number, or null. */
export function getNumber(runtime: Runtime, key: string): number | null {
  const r = runtime.peek(["get", key]);
  if (r.kind !== "value") return null;
  try {
    return r.value.toNumber();
  } finally {
    r.value.dispose();
  }
}

const childUrl = new URL("./_runtime_child.ts", import.meta.url);
const modUrl = new URL("../", import.meta.url);

/**
 * The library built with tripwires compiled in (`zig build` installs it beside the release
 * one, which ignores CELLAR_TRIPWIRE): children armed with a tripwire must load this one.
 */
export const tripwireLibrary = decodeURIComponent(
  new URL("zig-out/lib/tripwire/libcellar.so", modUrl).pathname,
);

/** Result of a child run: the answered pokes (event, key) and how it ended. */
export interface ChildRun {
  answered: { event: bigint; key: string }[];
  /** Keys whose poke the kernel crashed on (`--bad-every`). */
  crashed: string[];
  code: number;
  signal: Deno.Signal | null;
  stderr: string;
}

/**
 * Run the crash-test child on `dir`; `killAfterMs` kills it from outside (SIGKILL) after
 * that long; `env` adds variables (e.g. CELLAR_TRIPWIRE).
 */
export async function runChild(
  dir: string,
  from: number,
  count: number,
  options: {
    crashStep?: string;
    crashEvent?: number;
    snapshotEvery?: number;
    killAfterMs?: number;
    /**
     * SIGKILL once the child has answered this many pokes, after a further random 0 to 20 ms:
     * a kill in mid-stream wherever it lands, however fast the machine and its disk are.
     */
    killAfterAnswers?: number;
    env?: Record<string, string>;
    /** Extra arguments of the child (`--group N`, `--async N`, `--bad-every M`). */
    args?: string[];
  } = {},
): Promise<ChildRun> {
  const args = [
    "run",
    "--quiet",
    "--allow-read",
    "--allow-write",
    "--allow-ffi",
    "--allow-env",
    childUrl.pathname,
    dir,
    String(from),
    String(count),
    "--snapshot-every",
    String(options.snapshotEvery ?? 0),
  ];
  if (options.crashStep) {
    args.push("--crash-step", options.crashStep, "--crash-event", String(options.crashEvent));
  }
  args.push(...(options.args ?? []));
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: decodeURIComponent(modUrl.pathname),
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const answered: { event: bigint; key: string }[] = [];
  const crashed: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (options.killAfterMs !== undefined) {
    timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, options.killAfterMs);
  }
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  };
  let killScheduled = false;
  const stderrText = new Response(child.stderr).text();
  let pending = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    pending += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const m = /^ok (\d+) (\S+)$/.exec(line);
      if (m) answered.push({ event: BigInt(m[1]), key: m[2] });
      if (
        !killScheduled && options.killAfterAnswers !== undefined &&
        answered.length >= options.killAfterAnswers
      ) {
        killScheduled = true;
        timer = setTimeout(kill, Math.floor(Math.random() * 20));
      }
      const c = /^crashed (\S+)$/.exec(line);
      if (c) crashed.push(c[1]);
    }
  }
  const status = await child.status;
  clearTimeout(timer);
  return {
    answered,
    crashed,
    code: status.code,
    signal: status.signal,
    stderr: await stderrText,
  };
}
