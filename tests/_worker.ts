/**
 * A Worker for the tests that need a machine of their own: a small workspace limit (%meme),
 * or an interrupt from the main thread (%intr). Each Worker thread has its own machine.
 *
 * @module
 */

import { configure, machineId, nock, NockError, Noun, workspaceStats } from "../mod.ts";

/** A request from the test. */
export type Task = { task: "meme"; limitMib: number } | { task: "loop" };

/** `[2 [0 1] [0 2]]`: run the formula at the head of the subject on the subject, forever. */
function loopForever(): { subject: Noun; formula: Noun } {
  const formula = Noun.from([2, [0, 1], [0, 2]]);
  return { subject: Noun.cell(formula, 0), formula };
}

/** `[2 [[0 2] [0 3] [0 3]] [0 2]]` on `[self acc]`: acc := [acc acc] forever; live data grows. */
function growForever(): { subject: Noun; formula: Noun } {
  const formula = Noun.from([2, [[0, 2], [0, 3], [0, 3]], [0, 2]]);
  return { subject: Noun.cell(formula, 0), formula };
}

function failureKind(error: unknown): string {
  return error instanceof NockError ? error.kind : `not a NockError: ${error}`;
}

const worker = self as unknown as Worker;

worker.onmessage = (event: MessageEvent<Task>) => {
  const request = event.data;
  if (request.task === "meme") {
    configure({ workspaceLimitMib: request.limitMib });
    const { subject, formula } = growForever();
    let kind = "none";
    try {
      nock(subject, formula, { timeoutMs: 60_000 });
    } catch (error) {
      kind = failureKind(error);
    }
    // The machine must still work after running out of memory.
    using quoted = Noun.from([1, 5]);
    using product = nock(subject, quoted);
    worker.postMessage({
      kind,
      after: product.toNumber(),
      limitBytes: workspaceStats().limitBytes,
    });
  } else if (request.task === "loop") {
    const { subject, formula } = loopForever();
    worker.postMessage({ id: machineId() });
    const started = performance.now();
    let kind = "none";
    try {
      nock(subject, formula, { timeoutMs: 30_000 });
    } catch (error) {
      kind = failureKind(error);
    }
    worker.postMessage({ kind, ms: performance.now() - started });
  }
};
