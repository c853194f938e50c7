/**
 * The `file` driver: NockApp's file effects, confined to one directory the user grants.
 *
 * | effect                                          | answered by poking, on `[%file 1 %op ~]`          |
 * | ----------------------------------------------- | ------------------------------------------------- |
 * | `[%file %read path=@t]`                         | `[%file %read ~ contents]`, or `[%file %read ~]`  |
 * | `[%file %write path=@t contents=@]`             | `[%file %write path contents success=?]`          |
 * | `[%file %batch-write (list [path=@t contents=@])]` | `[%file %batch-write (list [path contents ?])]` |
 *
 * A path is relative to the granted directory (an absolute path must lie inside it); `.` and
 * `..` are resolved as text, and parent folders are created as NockApp does. A path that
 * leaves the directory, or passes through a symbolic link (any of its components, the file
 * itself included), is refused: nothing is read or written, the refusal is reported, and the
 * kernel gets the failure answer. Writes are atomic and durable (a temporary file, fsync,
 * rename, fsync of the folder).
 *
 * @module
 */

import { Noun } from "../core/noun.ts";
import type { NounLike } from "../core/noun.ts";
import { writeFileAtomic } from "../runtime/files.ts";
import { driverWire, listItems } from "./driver.ts";
import type { DeliveredEffect, Driver, DriverContext } from "./driver.ts";

/** A path the driver will not touch, and why. */
export class RefusedPath extends Error {
  /** @param message Why */
  constructor(message: string) {
    super(message);
    this.name = "RefusedPath";
  }
}

/** Most items of one batch write. */
const batchItemsMax = 100_000;
/** NockApp's loobeans: `%.y` is 0, `%.n` is 1. */
const yes = 0;
const no = 1;

/**
 * The file driver for the directory `root` (created when absent).
 *
 * @example
 * ```ts
 * import { fileDriver } from "./file.ts";
 * const driver = fileDriver({ root: Deno.makeTempDirSync() });
 * console.log(driver.tags); // [ "file" ]
 * ```
 */
export function fileDriver(options: { root: string }): Driver {
  Deno.mkdirSync(options.root, { recursive: true });
  const root = Deno.realPathSync(options.root);
  return {
    name: "file",
    tags: ["file"],
    handle(delivered: DeliveredEffect, context: DriverContext): void {
      const effect = delivered.effect;
      using op = effect.at(6);
      const name = textOf(op);
      if (name === "read") return read(root, effect, context);
      if (name === "write") return write(root, effect, context);
      if (name === "batch-write") return batchWrite(root, effect, context);
      context.log(`ignored [%file %${name ?? "?"} …]: the operations are read, write, batch-write`);
    },
  };
}

/** `[%file %read path]`. */
function read(root: string, effect: Noun, context: DriverContext): void {
  using pathNoun = effect.at(7);
  let contents: Uint8Array | null = null;
  try {
    contents = Deno.readFileSync(resolvePath(root, pathNoun, "read"));
  } catch (error) {
    context.log(`cannot read ${shown(pathNoun)}: ${message(error)}`);
  }
  const answer: NounLike = contents === null ? ["file", "read", 0] : ["file", "read", 0, contents];
  void context.poke(answer, driverWire("file", "read"));
}

/** `[%file %write path contents]`. */
function write(root: string, effect: Noun, context: DriverContext): void {
  using pathNoun = effect.at(14);
  using contents = effect.at(15);
  const ok = writeOne(root, pathNoun, contents, context);
  void context.poke(
    ["file", "write", pathNoun, contents, ok ? yes : no],
    driverWire("file", "write"),
  );
}

/** `[%file %batch-write (list [path contents])]`: each file in turn. */
function batchWrite(root: string, effect: Noun, context: DriverContext): void {
  using list = effect.at(7);
  const items = listItems(list, batchItemsMax);
  const results: Noun[] = [];
  try {
    for (const item of items) {
      if (!item.isCell) {
        context.log("a batch-write item is an atom, not [path contents]");
        results.push(Noun.from([item, 0, no]));
        continue;
      }
      using pathNoun = item.head;
      using contents = item.tail;
      const ok = writeOne(root, pathNoun, contents, context);
      results.push(Noun.from([pathNoun, contents, ok ? yes : no]));
    }
    void context.poke(["file", "batch-write", [...results, 0]], driverWire("file", "batch-write"));
  } finally {
    for (const noun of [...items, ...results]) noun.dispose();
  }
}

/** Write one file; false (reported) when refused or failed. */
function writeOne(root: string, pathNoun: Noun, contents: Noun, context: DriverContext): boolean {
  try {
    if (contents.isCell) throw new RefusedPath("its contents are a cell, not an atom");
    const path = resolvePath(root, pathNoun, "write");
    writeFileAtomic(path, contents.toBytes());
    return true;
  } catch (error) {
    context.log(`cannot write ${shown(pathNoun)}: ${message(error)}`);
    return false;
  }
}

/**
 * The absolute path of `pathNoun` under `root`, checked: text without NUL, inside `root`
 * once `.` and `..` are resolved, no symbolic link on the way. For a write, the missing
 * parent folders are created once every existing component has passed the check.
 */
export function resolvePath(root: string, pathNoun: Noun, use: "read" | "write"): string {
  const text = textOf(pathNoun);
  if (text === null || text.length === 0) {
    throw new RefusedPath("the path is not text (a cord of UTF-8)");
  }
  if (text.includes("\0")) throw new RefusedPath("the path contains a NUL byte");
  const relative = text.startsWith("/") ? insideRoot(root, text) : text;
  const segments: string[] = [];
  for (const segment of relative.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.length === 0) throw new RefusedPath("it leaves the files directory");
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  if (segments.length === 0) throw new RefusedPath("it names the files directory itself");
  // Check every component that exists before creating anything.
  let existing = 0;
  for (; existing < segments.length; existing++) {
    const at = `${root}/${segments.slice(0, existing + 1).join("/")}`;
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(at);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) break;
      throw error;
    }
    const shownAt = segments.slice(0, existing + 1).join("/");
    if (info.isSymlink) throw new RefusedPath(`it goes through the symbolic link ${shownAt}`);
    if (existing < segments.length - 1 && !info.isDirectory) {
      throw new RefusedPath(`${shownAt} is not a folder`);
    }
  }
  const path = `${root}/${segments.join("/")}`;
  if (use === "read" || existing >= segments.length - 1) return path;
  for (let i = existing; i < segments.length - 1; i++) {
    Deno.mkdirSync(`${root}/${segments.slice(0, i + 1).join("/")}`);
  }
  return path;
}

/** An absolute path that lies in `root`, as a path relative to it. */
function insideRoot(root: string, text: string): string {
  if (text === root) return "";
  if (!text.startsWith(`${root}/`)) {
    throw new RefusedPath(`it is outside the files directory ${root}`);
  }
  return text.slice(root.length + 1);
}

/** An atom as UTF-8 text, or null (a cell, or bytes that are not UTF-8). */
function textOf(noun: Noun): string | null {
  if (noun.isCell) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(noun.toBytes());
  } catch {
    return null;
  }
}

function shown(pathNoun: Noun): string {
  const text = textOf(pathNoun);
  return text === null ? "(a path that is not text)" : JSON.stringify(text);
}

function message(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  return error instanceof Error ? error.message : String(error);
}
