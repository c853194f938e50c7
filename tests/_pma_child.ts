/**
 * Helpers of tests/pma_test.ts, and the other side of its cross-thread and cross-process
 * cases. As a Worker it is a read-only replica (or a second would-be writer); run as a
 * subprocess it reads a slab's mug, or commits a stream of events until it is killed.
 *
 *   deno run ... tests/_pma_child.ts mug DIR
 *   deno run ... tests/_pma_child.ts writer DIR GC_EVERY   (prints each committed event)
 *   deno run ... tests/_pma_child.ts open-writer DIR       (prints the error's name, if any)
 *
 * @module
 */

import { Noun, Pma, PmaError } from "../mod.ts";

/** Bytes of the atom in each chain entry. */
export const payloadBytes = 4096;

/** The kernel hash recorded with event `e`: its number in the first 8 bytes. */
export function hashOf(e: number): Uint8Array {
  const h = new Uint8Array(32);
  new DataView(h.buffer).setBigUint64(0, BigInt(e), true);
  return h;
}

/** The payload atom of chain entry `e`: `payloadBytes` bytes, each `(e + i) & 255`, top 1. */
export function payload(e: number): Noun {
  const bytes = new Uint8Array(payloadBytes);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (e + i) & 0xff;
  bytes[bytes.length - 1] = 1;
  return Noun.atom(bytes);
}

/**
 * Commit chain states `from..to` on top of the committed root: state e is
 * `[[e payload(e)] state(e-1)]`, state 0 is 0. Runs `afterEach(e)` after each commit.
 */
export function commitChain(
  pma: Pma,
  from: number,
  to: number,
  afterEach?: (e: number) => void,
): void {
  let previous = pma.root;
  try {
    for (let e = from; e <= to; e++) {
      using data = payload(e);
      using entry = Noun.cell(e, data);
      using state = Noun.cell(entry, previous);
      const next = pma.commit(state, e, hashOf(e));
      previous.dispose();
      previous = next;
      afterEach?.(e);
    }
  } finally {
    previous.dispose();
  }
}

/** Why `root` is not the complete chain state of event `e`, or null when it is. */
export function chainProblem(root: Noun, e: number): string | null {
  let n = Noun.from(root);
  try {
    for (let j = e; j >= 1; j--) {
      if (!n.isCell) return `event ${e}: the chain ends at entry ${j}`;
      using entry = n.head;
      using number = entry.head;
      if (number.toNumber() !== j) return `event ${e}: entry ${j} holds ${number}`;
      using data = entry.tail;
      const bytes = data.toBytes();
      if (
        bytes.length !== payloadBytes || bytes[0] !== (j & 0xff) || bytes[1] !== ((j + 1) & 0xff)
      ) {
        return `event ${e}: entry ${j} has a wrong payload`;
      }
      const next = n.tail;
      n.dispose();
      n = next;
    }
    if (n.isCell || n.toNumber() !== 0) return `event ${e}: the chain does not end in 0`;
    return null;
  } finally {
    n.dispose();
  }
}

// ------------------------------------------------------------------ the Worker side

/** Requests a test sends to the Worker. */
export type Request =
  | { task: "open"; dir: string }
  | { task: "follow"; target: number; timeoutMs: number }
  | { task: "refresh" }
  | { task: "lock"; dir: string }
  | { task: "close" };

let replica: Pma | null = null;
let held: Noun | null = null;
let heldMug = 0;
let heldEvent = 0;

function failure(error: unknown): { code: string; message: string } {
  if (error instanceof PmaError) return { code: error.code, message: error.message };
  return { code: error instanceof Error ? error.name : "unknown", message: String(error) };
}

/** Refresh until the replica reaches `target`, checking every root it sees. */
function follow(target: number, timeoutMs: number, post: (m: unknown) => void) {
  post({ ready: true });
  const seen: number[] = [];
  const kinds: Record<string, number> = {};
  const deadline = performance.now() + timeoutMs;
  let problem: string | null = null;
  let last = Number(replica!.eventNumber);
  while (last < target && performance.now() < deadline && problem === null) {
    const kind = replica!.refresh();
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    const e = Number(replica!.eventNumber);
    if (e < last) problem = `the event went back from ${last} to ${e}`;
    if (e !== last) seen.push(e);
    last = e;
    using root = replica!.root;
    problem ??= chainProblem(root, e);
  }
  return { last, seen, kinds, problem };
}

function serve(request: Request, post: (m: unknown) => void): unknown {
  switch (request.task) {
    case "open": {
      replica = Pma.open(request.dir, { readOnly: true });
      held = replica.root;
      heldMug = held.mug;
      heldEvent = Number(replica.eventNumber);
      return { event: Number(replica.eventNumber), mug: heldMug };
    }
    case "follow":
      return follow(request.target, request.timeoutMs, post);
    case "refresh": {
      const kind = replica!.refresh();
      return {
        kind,
        event: Number(replica!.eventNumber),
        heldMugBefore: heldMug,
        heldMugAfter: held!.mug,
        heldProblem: chainProblem(held!, heldEvent),
      };
    }
    case "lock":
      try {
        Pma.open(request.dir).close();
        return { code: "none" };
      } catch (error) {
        return failure(error);
      }
    case "close":
      held?.dispose();
      replica?.close();
      return { closed: true };
  }
}

function runWorker(): void {
  const worker = self as unknown as Worker;
  const post = (m: unknown) => worker.postMessage(m);
  worker.onmessage = (event: MessageEvent<Request>) => {
    try {
      post(serve(event.data, post));
    } catch (error) {
      post({ error: failure(error) });
    }
  };
}

// ------------------------------------------------------------------ the subprocess side

function write(text: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(text + "\n"));
}

function runCommand(args: string[]): void {
  const [command, dir, extra] = args;
  if (command === "mug") {
    using pma = Pma.open(dir, { readOnly: true });
    using root = pma.root;
    write(JSON.stringify({ mug: root.mug, event: Number(pma.eventNumber) }));
  } else if (command === "writer") {
    // Commits forever (until killed), a GC every `gcEvery` events when nonzero.
    const gcEvery = Number(extra ?? 0);
    using pma = Pma.open(dir, { sidecar: "off", initialBytes: 1 << 20 });
    const start = Number(pma.eventNumber) + 1;
    commitChain(pma, start, start + 1_000_000, (e) => {
      write(String(e));
      if (gcEvery > 0 && e % gcEvery === 0) pma.gc();
    });
  } else if (command === "open-writer") {
    try {
      Pma.open(dir).close();
      write("none");
    } catch (error) {
      write(error instanceof PmaError ? error.code : (error as Error).name);
    }
  } else {
    throw new Error(`Unknown command: ${command}`);
  }
}

if (import.meta.main) {
  const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
    "undefined";
  if (inWorker) runWorker();
  else runCommand(Deno.args);
}
