/**
 * AttachedDrivers (`src/drivers/attached.ts`), the drivers of a runtime that its owner pokes in
 * groups (the server's writer), against the test kernel (tests/fixtures/effects.hoon): the
 * origin each driver's write-ahead sees, effects delivered in order after commit, a driver's
 * poke run after the effects queued before it, and abandoned write-aheads.
 *
 * @module
 */

import { handleCount, Noun, Runtime } from "../mod.ts";
import type { NounLike } from "../mod.ts";
import { AttachedDrivers } from "../src/drivers/attached.ts";
import type { Driver, DriverContext } from "../src/drivers/driver.ts";
import { assertEquals } from "./_helpers.ts";
import { effectsKernel, tempDir, text } from "./_nockapp_helpers.ts";

handleCount();

const root = tempDir("cellar_attached_drivers_test_");

/** A driver of `%note` effects that records what it sees, and pokes back on `[%note %echo n]`. */
function noteDriver(seen: string[]): Driver {
  let context: DriverContext | null = null;
  return {
    name: "note",
    tags: ["note"],
    start(c) {
      context = c;
    },
    beforeCommit(event, origin) {
      if (text(origin.cause) === text(["veto", 0])) throw new Error("vetoed");
      seen.push(`computed ${event.eventNumber} from ${origin.from} ${text(origin.cause)}`);
    },
    abandoned(eventNumber) {
      seen.push(`abandoned ${eventNumber}`);
    },
    handle({ eventNumber, effect }) {
      seen.push(`effect ${eventNumber} ${effect.toString()}`);
      using body = effect.tail;
      using op = body.head;
      if (!op.isCell && op.toCord() === "echo") {
        void context!.poke(["emit", ["note", "echoed", 0], 0], ["note", 1, 0]);
      }
    },
  };
}

Deno.test("attached drivers: write-ahead origins, order of effects and of driver pokes", async () => {
  const seen: string[] = [];
  const logs: string[] = [];
  let runtime: Runtime | null = null;
  const drivers = new AttachedDrivers([noteDriver(seen)], {
    commit(cause, wire) {
      const [outcome] = runtime!.pokeMany([{ cause, wire }]);
      drivers.settle(runtime!.eventNumber);
      return outcome.ok ? { ok: true, ...outcome.result } : outcome;
    },
    event: (n) => runtime!.log.get(n),
    log: (line) => logs.push(line),
    print: () => {},
  });
  runtime = Runtime.open({
    dataDir: `${root}/one`,
    kernel: effectsKernel(),
    onComputed: drivers.computed,
  });
  try {
    await drivers.start();
    // A group of the owner's: a veto (refused by the write-ahead), then two events.
    const causes: NounLike[] = [
      ["emit", ["note", "echo", 0], ["note", "two", 0], ["other", 0], 0],
      ["veto", 0],
      ["emit", ["note", "three", 0], 0],
    ];
    const requests = causes.map((c) => ({ cause: Noun.from(c) }));
    const outcomes = runtime.pokeMany(requests);
    for (const r of requests) r.cause.dispose();
    drivers.settle(runtime.eventNumber);
    assertEquals(outcomes.map((o) => o.ok), [true, false, true]);
    for (const o of outcomes) {
      if (!o.ok) continue;
      drivers.committed(o.result.eventNumber, o.result.effects);
      o.result.effects.dispose();
    }
    await drivers.idle();
    await drivers.stop();
    assertEquals(seen, [
      `computed 1 from null ${text(causes[0])}`,
      `computed 2 from null ${text(causes[2])}`,
      `effect 1 ${text(["note", "echo", 0])}`,
      `effect 1 ${text(["note", "two", 0])}`,
      `effect 2 ${text(["note", "three", 0])}`,
      // The echo poke ran after the effects queued before it, as event 3.
      `computed 3 from note ${text(["emit", ["note", "echoed", 0], 0])}`,
      `effect 3 ${text(["note", "echoed", 0])}`,
    ]);
    assertEquals(logs, ["No driver takes %other effects: they are ignored (reported once)"]);
  } finally {
    runtime.close();
  }
});

Deno.test("attached drivers: events computed but not committed are abandoned", () => {
  const seen: string[] = [];
  let runtime: Runtime | null = null;
  const drivers = new AttachedDrivers([noteDriver(seen)], {
    commit: () => ({ ok: false, error: new Error("unused") }),
    event: (n) => runtime!.log.get(n),
    log: () => {},
    print: () => {},
  });
  runtime = Runtime.open({
    dataDir: `${root}/two`,
    kernel: effectsKernel(),
    onComputed: drivers.computed,
  });
  try {
    using cause = Noun.from(["emit", 0]);
    runtime.pokeMany([{ cause }]);
    // As if the group's commit had failed: the runtime stands at 0.
    drivers.settle(0n);
    assertEquals(seen, [`computed 1 from null ${text(["emit", 0])}`, "abandoned 1"]);
    drivers.settle(1n);
    assertEquals(seen.length, 2, "settled once");
  } finally {
    runtime.close();
  }
});
