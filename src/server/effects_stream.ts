/**
 * `GET /effects`: committed effects as Server-Sent Events, and the bounded store behind it.
 *
 * The writer sends each committed event's effects (as JSON nouns, with the event's wire)
 * after answering its poke ({@linkcode effectsMessage}); the {@linkcode EffectsHub} keeps the
 * effects of the last `retentionEvents` events (and at most `retentionBytes` of them) and
 * fans them out. One SSE message per effect:
 *
 * ```
 * id: 12.0
 * data: {"event":12,"index":0,"wire":["poke","api",0],"effect":["file","write","a.txt","hi"]}
 * ```
 *
 * Filters: `?tag=file` (repeatable) keeps effects whose head is one of the tags, and
 * `?wire=/poke/app` those whose event's wire starts with that path. A client that resumes
 * with `Last-Event-ID: E.I` gets every retained effect after it; when the store no longer
 * holds what follows `E.I` (older than the retention, or from before the server started),
 * it gets an event named `resync` (its data `{"lastEventId", "oldest"}`) and then the live
 * stream. A subscriber that reads too slowly (more than `queueMax` messages waiting) is
 * disconnected, so it never slows the writer.
 *
 * @module
 */

import { nounToJson } from "../core/json.ts";
import type { Json } from "../core/json.ts";
import type { Noun } from "../core/noun.ts";
import { effectTag, listItems } from "../drivers/driver.ts";
import type { KernelAnswer } from "../drivers/http_kernel.ts";

/** The writer's message with one event's effects. */
export interface EffectsMessage {
  type: "effects";
  eventNumber: bigint;
  wire: Json;
  effects: Json[];
  tags: (string | null)[];
  /** The kernel serves HTTP: its response effects, parsed (see `drivers/http_kernel.ts`). */
  http?: KernelAnswer[];
}

/** Most bytes of JSON of one effect before it is sent in its jam form instead. */
const effectJsonBytesMax = 1024 * 1024;

/**
 * The message for a committed event's effects (the JSON noun form of the API), or null when it has
 * none. An effect too large for JSON goes in the codec's `{"jam": …}` form.
 *
 * @example
 * ```ts
 * import { Noun } from "../core/noun.ts";
 * import { effectsMessage } from "./effects_stream.ts";
 * using wire = Noun.list(["poke", "api"]);
 * using effects = Noun.list([["exit", 0]]);
 * console.log(effectsMessage(1n, wire, effects)?.effects); // [ [ "exit", 0 ] ]
 * ```
 */
export function effectsMessage(
  eventNumber: bigint,
  wire: Noun,
  effects: Noun,
): EffectsMessage | null {
  const items = listItems(effects);
  try {
    if (items.length === 0) return null;
    return {
      type: "effects",
      eventNumber,
      wire: safeJson(wire),
      effects: items.map(safeJson),
      tags: items.map(effectTag),
    };
  } finally {
    for (const item of items) item.dispose();
  }
}

function safeJson(noun: Noun): Json {
  try {
    return nounToJson(noun, { maxBytes: effectJsonBytesMax });
  } catch {
    return nounToJson(noun, { as: "jam" });
  }
}

/** One retained effect. */
interface Stored {
  event: bigint;
  index: number;
  tag: string | null;
  /** The wire's segments when it is a list of path segments, else null. */
  path: string[] | null;
  /** The SSE frame, ready to send. */
  frame: string;
}

/** What a subscriber wants. */
export interface EffectsFilter {
  tags: string[];
  /** A path prefix of the wire (segments), or null. */
  wire: string[] | null;
}

/** Options of the {@linkcode EffectsHub}. */
export interface EffectsHubOptions {
  /** Keep the effects of this many last events (default 10,000). */
  retentionEvents?: number;
  /** ... and at most this many bytes of frames (default 64 MiB). */
  retentionBytes?: number;
  /** Disconnect a subscriber with more messages than this waiting (default 1,000). */
  queueMax?: number;
}

interface Subscriber {
  id: number;
  filter: EffectsFilter;
  controller: ReadableStreamDefaultController<Uint8Array>;
  since: number;
  sent: number;
  /** Most messages waiting: `queueMax`, plus the retained ones it was sent at connection. */
  limit: number;
}

const encoder = new TextEncoder();

/** The retained effects and the live subscribers. */
export class EffectsHub {
  readonly #retentionEvents: number;
  readonly #retentionBytes: number;
  readonly #queueMax: number;
  #stored: Stored[] = [];
  #bytes = 0;
  /** Every effect of the events after this one is retained. */
  #floor = 0n;
  #last = 0n;
  #subscribers = new Map<number, Subscriber>();
  #nextId = 1;
  #dropped = 0;

  constructor(options: EffectsHubOptions = {}) {
    this.#retentionEvents = options.retentionEvents ?? 10_000;
    this.#retentionBytes = options.retentionBytes ?? 64 * 1024 * 1024;
    this.#queueMax = options.queueMax ?? 1000;
  }

  /** The runtime stands at `eventNumber`: effects of earlier events were never seen. */
  start(eventNumber: bigint): void {
    this.#floor = eventNumber;
    this.#last = eventNumber;
  }

  /** Keep and send one committed event's effects. */
  publish(message: EffectsMessage): void {
    const path = wirePath(message.wire);
    const event = message.eventNumber;
    message.effects.forEach((effect, index) => {
      const data = JSON.stringify({ event, index, wire: message.wire, effect }, bigints);
      const stored = {
        event,
        index,
        tag: message.tags[index],
        path,
        frame: `id: ${event}.${index}\ndata: ${data}\n\n`,
      };
      this.#stored.push(stored);
      this.#bytes += stored.frame.length;
      for (const s of this.#subscribers.values()) this.#send(s, stored);
    });
    if (event > this.#last) this.#last = event;
    this.#prune();
  }

  /**
   * A new subscriber's SSE stream: the retained effects after `lastEventId` (or a `resync`
   * when they are no longer held), then the live ones.
   */
  subscribe(filter: EffectsFilter, lastEventId: string | null): ReadableStream<Uint8Array> {
    const id = this.#nextId++;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        const s: Subscriber = {
          id,
          filter,
          controller,
          since: Date.now(),
          sent: 0,
          limit: this.#queueMax,
        };
        controller.enqueue(encoder.encode(": cellar effects\nretry: 1000\n\n"));
        this.#catchUp(s, lastEventId);
        s.limit += s.sent;
        this.#subscribers.set(id, s);
      },
      cancel: () => {
        this.#subscribers.delete(id);
      },
    }, { highWaterMark: 0 });
  }

  /** For `/status`: the subscribers and the store. */
  status(): Record<string, unknown> {
    const now = Date.now();
    return {
      subscribers: [...this.#subscribers.values()].map((s) => ({
        id: s.id,
        tags: s.filter.tags,
        wire: s.filter.wire === null ? null : "/" + s.filter.wire.join("/"),
        connectedSeconds: Math.round((now - s.since) / 1000),
        sent: s.sent,
      })),
      retained: { effects: this.#stored.length, bytes: this.#bytes, afterEvent: this.#floor },
      disconnectedSlow: this.#dropped,
    };
  }

  /** End every stream (the server is stopping). */
  close(): void {
    for (const s of this.#subscribers.values()) {
      try {
        s.controller.close();
      } catch { /* already closed */ }
    }
    this.#subscribers.clear();
  }

  #catchUp(s: Subscriber, lastEventId: string | null): void {
    if (lastEventId === null) return;
    const last = parseEventId(lastEventId);
    if (last === null || last.event < this.#floor || last.event > this.#last) {
      const data = JSON.stringify({ lastEventId, oldest: String(this.#floor + 1n) });
      s.controller.enqueue(encoder.encode(`event: resync\ndata: ${data}\n\n`));
      return;
    }
    for (const stored of this.#stored) {
      const after = stored.event > last.event ||
        (stored.event === last.event && stored.index > last.index);
      if (after && matches(s.filter, stored)) {
        s.controller.enqueue(encoder.encode(stored.frame));
        s.sent++;
      }
    }
  }

  #send(s: Subscriber, stored: Stored): void {
    if (!matches(s.filter, stored)) return;
    // With a high-water mark of 0, -desiredSize is the number of messages waiting.
    if (-(s.controller.desiredSize ?? 0) >= s.limit) {
      // Too slow: disconnect rather than hold the writer or grow without bound.
      this.#dropped++;
      this.#subscribers.delete(s.id);
      try {
        s.controller.error(new Error("The subscriber fell too far behind"));
      } catch { /* already closed */ }
      return;
    }
    s.controller.enqueue(encoder.encode(stored.frame));
    s.sent++;
  }

  #prune(): void {
    const oldestKept = this.#last - BigInt(this.#retentionEvents);
    while (
      this.#stored.length > 0 &&
      (this.#stored[0].event <= oldestKept || this.#bytes > this.#retentionBytes)
    ) {
      const dropped = this.#stored.shift()!;
      this.#bytes -= dropped.frame.length;
      // Drop the rest of its event too: the store holds whole events.
      while (this.#stored.length > 0 && this.#stored[0].event === dropped.event) {
        this.#bytes -= this.#stored.shift()!.frame.length;
      }
      if (dropped.event > this.#floor) this.#floor = dropped.event;
    }
    if (oldestKept > this.#floor) this.#floor = oldestKept;
  }
}

/** `E.I` as numbers, or null. */
function parseEventId(text: string): { event: bigint; index: number } | null {
  const m = /^(\d{1,20})\.(\d{1,9})$/.exec(text.trim());
  return m === null ? null : { event: BigInt(m[1]), index: Number(m[2]) };
}

/** The segments of a wire that is a list of path segments (JSON `[a, b, 0]`), else null. */
function wirePath(wire: Json): string[] | null {
  if (!Array.isArray(wire) || wire.at(-1) !== 0) return null;
  const segments = wire.slice(0, -1);
  const ok = segments.every((s) => typeof s === "string" || typeof s === "number");
  return ok ? segments.map(String) : null;
}

function matches(filter: EffectsFilter, stored: Stored): boolean {
  if (filter.tags.length > 0 && (stored.tag === null || !filter.tags.includes(stored.tag))) {
    return false;
  }
  if (filter.wire === null) return true;
  const path = stored.path;
  return path !== null && filter.wire.every((segment, i) => path[i] === segment);
}

function bigints(_key: string, value: unknown): unknown {
  if (typeof value !== "bigint") return value;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/**
 * The filter of a `GET /effects` URL: `tag` (repeatable) and `wire` (a path prefix).
 *
 * @example
 * ```ts
 * import { effectsFilter } from "./effects_stream.ts";
 * console.log(effectsFilter(new URL("http://x/effects?tag=file&wire=/poke/app")));
 * ```
 */
export function effectsFilter(url: URL): EffectsFilter {
  const wire = url.searchParams.get("wire");
  return {
    tags: url.searchParams.getAll("tag").filter((t) => t.length > 0),
    wire: wire === null ? null : wire.split("/").filter((s) => s.length > 0),
  };
}

/**
 * The response of `GET /effects`: the SSE stream of `hub` for the request's filter and
 * `Last-Event-ID` (or `?lastEventId=`).
 */
export function effectsResponse(hub: EffectsHub, request: Request, url: URL): Response {
  const last = request.headers.get("last-event-id") ?? url.searchParams.get("lastEventId");
  return new Response(hub.subscribe(effectsFilter(url), last), {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    },
  });
}
