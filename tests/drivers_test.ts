/**
 * Drivers against the test kernel (tests/fixtures/effects.hoon), which emits the effects a
 * `[%emit effects]` cause names and records every poke: the host's ordering and
 * after-commit delivery, the file driver's confinement, exit, markdown, and the timer
 * driver's wake-ups across restarts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { handleCount, Runtime } from "../mod.ts";
import type { NounLike } from "../mod.ts";
import { toDa } from "../src/runtime/kernel.ts";
import { blake3 } from "../src/runtime/files.ts";
import { DriverHost } from "../src/drivers/host.ts";
import type { Driver } from "../src/drivers/driver.ts";
import { exitDriver } from "../src/drivers/exit.ts";
import { fileDriver } from "../src/drivers/file.ts";
import { markdownDriver } from "../src/drivers/markdown.ts";
import { daToUnixMs, timerDriver } from "../src/drivers/timer.ts";
import { TimerStore } from "../src/drivers/timer_store.ts";
import { assertEquals } from "./_helpers.ts";
import { effectsKernel, tempDir, text } from "./_nockapp_helpers.ts";

handleCount();

const root = tempDir("cellar_drivers_test_");
let dirs = 0;

/** A running host on a new (or given) data directory, with the lines it reported. */
interface Hosted {
  host: DriverHost;
  runtime: Runtime;
  logs: string[];
  printed: string[];
  close(): Promise<void>;
}

async function hosted(drivers: Driver[], dir = `${root}/d${dirs++}`): Promise<Hosted> {
  const logs: string[] = [];
  const printed: string[] = [];
  const host = new DriverHost(drivers, {
    log: (line) => logs.push(line),
    print: (line) => printed.push(line),
  });
  const runtime = Runtime.open({
    dataDir: dir,
    kernel: effectsKernel(),
    onComputed: host.onComputed,
  });
  await host.start(runtime);
  return {
    host,
    runtime,
    logs,
    printed,
    async close() {
      await host.stop();
      runtime.close();
    },
  };
}

/** `[%emit effects]` as a cause. */
function emit(...effects: NounLike[]): NounLike {
  return ["emit", [...effects, 0]];
}

/** The kernel's records `[num wire cause]`, oldest first, as text. */
function records(runtime: Runtime): { num: number; wire: string; cause: string }[] {
  const r = runtime.peek("/log");
  assert(r.kind === "value");
  using log = r.value;
  const out = [];
  for (const item of log.toArray()) {
    using record = item;
    using num = record.head;
    using wire = record.at(6);
    using cause = record.at(7);
    out.push({ num: num.toNumber(), wire: wire.toString(), cause: cause.toString() });
  }
  return out.reverse();
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("host: effects reach their drivers in order, after the commit; drivers poke back", async () => {
  const seen: string[] = [];
  const running: { runtime?: Runtime } = {};
  const recorder: Driver = {
    name: "recorder",
    tags: ["note", "echo"],
    handle({ eventNumber, index, tag, effect }, context) {
      // Delivered after the commit: the event is in the log and is the runtime's.
      assertEquals(running.runtime!.eventNumber, eventNumber);
      assert(running.runtime!.log.get(eventNumber) !== null);
      using body = effect.tail;
      seen.push(`${eventNumber}.${index} ${tag} ${body}`);
      if (tag === "echo") void context.poke(["echoed", body], ["recorder", 1, 0]);
    },
  };
  const h = await hosted([recorder]);
  running.runtime = h.runtime;
  try {
    const result = await h.host.poke(emit(["note", 1], ["other", 2], ["echo", 3], ["note", 4]));
    assertEquals(result.eventNumber, 1n);
    assertEquals(result.tags, ["note", "other", "echo", "note"]);
    await h.host.idle();
    assertEquals(seen, ["1.0 note 1", "1.2 echo 3", "1.3 note 4"]);
    // The poke back is event 2, on the driver's wire.
    assertEquals(records(h.runtime)[1], {
      num: 2,
      wire: text(["recorder", 1, 0]),
      cause: text(["echoed", 3]),
    });
    // A tag no driver takes is reported once.
    await h.host.poke(emit(["other", 5]));
    assertEquals(h.logs.filter((l) => l.includes("%other")).length, 1);
    // A crash of the kernel rejects the poke and delivers nothing.
    await assert.rejects(
      h.host.poke(["crash", 0]),
      (error: Error & { trace?: string[] }) => error.trace?.includes("effects-crash") ?? false,
    );
    assertEquals(h.runtime.eventNumber, 3n);
  } finally {
    await h.close();
  }
  assert.throws(
    () => new DriverHost([exitDriver(), exitDriver()]),
    /both claim the tag %exit/,
  );
});

Deno.test("exit: ends the host after the effects before it; the rest are not carried out", async () => {
  const files = `${root}/exit-files`;
  const h = await hosted([fileDriver({ root: files }), exitDriver()]);
  try {
    const done = h.host.poke(
      emit(["file", "write", "before.txt", "landed"], ["exit", 3], [
        "file",
        "write",
        "after.txt",
        "x",
      ]),
    );
    assertEquals(await h.host.exited, 3);
    await done;
    assertEquals(Deno.readTextFileSync(`${files}/before.txt`), "landed");
    assert(!exists(`${files}/after.txt`));
    await assert.rejects(h.host.poke(["late", 0]), /has stopped/);
  } finally {
    await h.close();
  }
});

Deno.test("markdown: prints its text", async () => {
  const h = await hosted([markdownDriver()]);
  try {
    await h.host.poke(emit(["markdown", "# Hello\n\nfrom the kernel"]));
    assertEquals(h.printed, ["# Hello\n\nfrom the kernel"]);
  } finally {
    await h.close();
  }
});

Deno.test("file: write, read and batch-write, answered on the file wires", async () => {
  const files = `${root}/files`;
  const h = await hosted([fileDriver({ root: files })]);
  try {
    await h.host.poke(emit(["file", "write", "deep/er/a.txt", "alpha"]));
    await h.host.idle();
    assertEquals(Deno.readTextFileSync(`${files}/deep/er/a.txt`), "alpha");
    await h.host.poke(emit(["file", "read", "deep/er/a.txt"], ["file", "read", "missing.txt"]));
    await h.host.poke(emit(["file", "batch-write", [["b.txt", "bee"], [["c/d.txt", "sea"], 0]]]));
    await h.host.idle();
    assertEquals(Deno.readTextFileSync(`${files}/b.txt`), "bee");
    assertEquals(Deno.readTextFileSync(`${files}/c/d.txt`), "sea");
    const answers = records(h.runtime).filter((r) => r.wire.startsWith("[1701603686 1 "));
    assertEquals(answers.map((a) => [a.wire, a.cause]), [
      [text(["file", 1, "write", 0]), text(["file", "write", "deep/er/a.txt", "alpha", 0])],
      [text(["file", 1, "read", 0]), text(["file", "read", 0, "alpha"])],
      [text(["file", 1, "read", 0]), text(["file", "read", 0])],
      [
        text(["file", 1, "batch-write", 0]),
        text(["file", "batch-write", [["b.txt", "bee", 0], [["c/d.txt", "sea", 0], 0]]]),
      ],
    ]);
  } finally {
    await h.close();
  }
});

Deno.test("file: paths outside the directory or through a symlink are refused, nothing written", async () => {
  const files = `${root}/confined`;
  const outside = `${root}/outside`;
  Deno.mkdirSync(`${files}/real`, { recursive: true });
  Deno.mkdirSync(outside, { recursive: true });
  Deno.writeTextFileSync(`${outside}/secret.txt`, "secret");
  Deno.symlinkSync(outside, `${files}/link`);
  Deno.symlinkSync(`${outside}/secret.txt`, `${files}/real/file-link`);
  const h = await hosted([fileDriver({ root: files })]);
  try {
    const refused = [
      "../outside/x.txt",
      "real/../../outside/x.txt",
      `${outside}/x.txt`,
      "link/x.txt",
      "link/new/deeper/x.txt",
      "real/file-link",
      "",
    ];
    for (const path of refused) {
      await h.host.poke(emit(["file", "write", path, "pwned"]));
    }
    await h.host.poke(
      emit(["file", "read", "link/secret.txt"], ["file", "read", "real/file-link"]),
    );
    await h.host.idle();
    assertEquals([...Deno.readDirSync(outside)].map((e) => e.name), ["secret.txt"]);
    assertEquals(Deno.readTextFileSync(`${outside}/secret.txt`), "secret");
    assert(!exists(`${files}/link/new`));
    const answers = records(h.runtime).filter((r) => r.cause.startsWith("[1701603686 "));
    // Every write answered %.n (1), every read [%file %read ~].
    assertEquals(answers.length, refused.length + 2);
    for (const a of answers.slice(0, refused.length)) assert.match(a.cause, / 1\]$/, a.cause);
    for (const a of answers.slice(refused.length)) assertEquals(a.cause, text(["file", "read", 0]));
    assertEquals(h.logs.filter((l) => l.includes("symbolic link")).length, 5);
    assertEquals(h.logs.filter((l) => l.includes("leaves the files directory")).length, 2);
    assertEquals(h.logs.filter((l) => l.includes("outside the files directory")).length, 1);
    // An absolute path inside the directory is fine.
    await h.host.poke(emit(["file", "write", `${Deno.realPathSync(files)}/real/ok.txt`, "ok"]));
    await h.host.idle();
    assertEquals(Deno.readTextFileSync(`${files}/real/ok.txt`), "ok");
  } finally {
    await h.close();
  }
});

/** An `@da` `ms` milliseconds from now. */
function daIn(ms: number): bigint {
  return toDa(Date.now() + ms);
}

/** Wait until `check` holds (polling), or fail after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function wakes(runtime: Runtime): string[] {
  return records(runtime).filter((r) => r.wire === text(["timer", 1, "wake", 0])).map((r) =>
    r.cause
  );
}

Deno.test("timer: a wait wakes once on its wire, a rest cancels, an interval ticks", async () => {
  const h = await hosted([timerDriver({ interval: { seconds: 0.2, cause: ["tick", 0] } })]);
  try {
    const soon = daIn(150);
    const cancelled = daIn(200);
    await h.host.poke(emit(["timer", "wait", soon], ["timer", "wait", cancelled]));
    await h.host.poke(emit(["timer", "rest", cancelled]));
    await until(() => wakes(h.runtime).length === 1, 3000, "the wake");
    assertEquals(wakes(h.runtime), [text(["timer", "wake", soon])]);
    await until(
      () => records(h.runtime).some((r) => r.cause === text(["tick", 0])),
      3000,
      "an interval tick",
    );
    const tick = records(h.runtime).find((r) => r.cause === text(["tick", 0]))!;
    assertEquals(tick.wire, text(["timer", 1, 0]));
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(wakes(h.runtime).length, 1, "the cancelled wait never fires");
  } finally {
    await h.close();
  }
  assertEquals(daToUnixMs(toDa(1_700_000_000_123)), 1_700_000_000_123);
});

Deno.test("timer: pending wake-ups survive a restart and fire late at once, exactly once", async () => {
  const dir = `${root}/timer-restart`;
  const store = `${dir}-timers.sqlite`;
  const at = daIn(400);
  {
    const h = await hosted([timerDriver({ storePath: store })], dir);
    await h.host.poke(emit(["timer", "wait", at]));
    assert(h.host.pending);
    await h.close(); // before it is due
  }
  await new Promise((r) => setTimeout(r, 600));
  {
    const h = await hosted([timerDriver({ storePath: store })], dir);
    try {
      await until(() => wakes(h.runtime).length === 1, 3000, "the late wake");
      await h.host.idle();
      assert(!h.host.pending);
    } finally {
      await h.close();
    }
  }
  // A third start finds nothing to fire.
  const h = await hosted([timerDriver({ storePath: store })], dir);
  try {
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(wakes(h.runtime), [text(["timer", "wake", at])]);
  } finally {
    await h.close();
  }
});

Deno.test("timer: records written ahead are applied only when their event is in the log", async () => {
  const dir = `${root}/timer-ahead`;
  const storePath = `${dir}-timers.sqlite`;
  const due = daIn(-1000);
  let wakeEvent: bigint;
  {
    // An exit before the timer effect: the host ends before applying the event's request.
    const h = await hosted([exitDriver(), timerDriver({ storePath })], dir);
    await h.host.poke(emit(["exit", 0], ["timer", "wait", due]));
    await h.close();
    const store = TimerStore.open(storePath);
    assertEquals(store.intents().map((i) => i.num), [1n]);
    // A record whose event never reached the log, as a crash before the log commit leaves.
    store.writeAhead(7n, blake3(new Uint8Array([1])), [{ op: "wait", at: daIn(-500) }], null);
    store.close();
  }
  {
    const h = await hosted([timerDriver({ storePath })], dir);
    try {
      await until(() => wakes(h.runtime).length === 1, 3000, "the applied wake");
      await h.host.idle();
      wakeEvent = h.runtime.eventNumber;
      assertEquals(wakes(h.runtime), [text(["timer", "wake", due])]);
    } finally {
      await h.close();
    }
  }
  // A wake that is in the log but still marked pending (a crash after its commit) is
  // recognised as delivered, not fired again.
  {
    const store = TimerStore.open(storePath);
    assertEquals(store.pending(), []);
    const h0 = Runtime.open({ dataDir: dir });
    const hash = h0.log.get(wakeEvent)!.hash;
    h0.close();
    store.writeAhead(2n, hash, [{ op: "wait", at: due }], null);
    store.apply(2n);
    store.writeAhead(wakeEvent, hash, [], due);
    store.close();
  }
  const h = await hosted([timerDriver({ storePath })], dir);
  try {
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(wakes(h.runtime).length, 1);
    assert(!h.host.pending);
  } finally {
    await h.close();
  }
});
