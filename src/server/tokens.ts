/**
 * API tokens of a data directory, kept in `<dataDir>/tokens.json`.
 *
 * A token is printed once, when it is created, as `cellar_<id>_<secret>`: `id` is 12 hex
 * digits (6 random bytes) that name the token in lists and logs, `secret` is 64 hex digits
 * (32 random bytes). The file stores, per token, its id, label, scopes, creation time and
 * the blake3 of the secret (domain-separated with the id), never the secret itself, so a
 * copy of the file does not grant access. Checking a token hashes the presented secret and
 * compares the full digests in constant time.
 *
 * The file is written atomically (a temp file with mode 0600, fsync, rename, fsync of the
 * directory), so a reader such as the server sees the old file or the new one, never a torn
 * one; {@linkcode TokenStore.reload} picks up changes made by another process (the CLI).
 *
 * Scopes: `peek` (read the state), `poke` (submit events), `subscribe` (receive committed
 * effects, `GET /effects`), `admin` (everything: snapshots, GC, status details, token
 * management). See {@linkcode allows}.
 *
 * @module
 */

import { ArgumentError, CellarError } from "../core/errors.ts";
import { blake3, hex, writeFileAtomic } from "../runtime/files.ts";

/** What a token may do; `admin` allows everything. */
export type Scope = "peek" | "poke" | "subscribe" | "admin";

/** The scopes, in the order they are listed. */
export const scopes: readonly Scope[] = ["peek", "poke", "subscribe", "admin"];

/**
 * The token file is unusable (unreadable, not JSON, or not the expected shape). The message
 * names the file.
 *
 * @example
 * ```ts
 * import { TokenStoreError } from "./tokens.ts";
 * const error = new TokenStoreError("The token file data/tokens.json is not valid JSON");
 * console.assert(error.name === "TokenStoreError");
 * ```
 */
export class TokenStoreError extends CellarError {
  /**
   * @param message What is wrong, naming the file
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TokenStoreError";
  }
}

/** A token as listed (no secret, no hash). */
export interface TokenInfo {
  id: string;
  label: string;
  scopes: Scope[];
  /** ISO 8601 time of creation. */
  createdAt: string;
}

interface TokenRecord extends TokenInfo {
  /** blake3 (hex) of `cellar-token-1:<id>:<secret>`. */
  hash: string;
}

interface TokenFile {
  format: "cellar-tokens-1";
  tokens: TokenRecord[];
}

const fileName = "tokens.json";
const format = "cellar-tokens-1";
const idPattern = /^[0-9a-f]{12}$/;
const hashPattern = /^[0-9a-f]{64}$/;
const tokenPattern = /^cellar_([0-9a-f]{12})_([0-9a-f]{64})$/;
const maxLabel = 200;
const encoder = new TextEncoder();

/**
 * Whether tokens with `granted` scopes may do what needs `needed`: `admin` allows
 * everything, otherwise the scope must be granted.
 *
 * @example
 * ```ts
 * import { allows } from "./tokens.ts";
 * console.log(allows(["peek"], "peek"), allows(["peek"], "poke"), allows(["admin"], "poke"));
 * // true false true
 * ```
 */
export function allows(granted: readonly Scope[], needed: Scope): boolean {
  return granted.includes("admin") || granted.includes(needed);
}

/**
 * Compare two byte strings in time that depends only on their lengths: every byte is
 * examined, with no early exit at the first difference.
 *
 * @example
 * ```ts
 * import { constantTimeEqual } from "./tokens.ts";
 * console.log(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))); // true
 * ```
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * Parse a list of scopes (`"peek,poke"` or an array); an {@linkcode ArgumentError} for an
 * unknown or missing scope. Duplicates are dropped; the result is in canonical order.
 *
 * @example
 * ```ts
 * import { parseScopes } from "./tokens.ts";
 * console.log(parseScopes("poke, peek")); // [ "peek", "poke" ]
 * ```
 */
export function parseScopes(input: string | readonly string[]): Scope[] {
  const items = typeof input === "string" ? input.split(",") : [...input];
  const wanted = new Set<string>();
  for (const raw of items) {
    const s = raw.trim();
    if (s.length === 0) continue;
    if (!(scopes as readonly string[]).includes(s)) {
      throw new ArgumentError(`Unknown scope '${s}': the scopes are ${scopes.join(", ")}`);
    }
    wanted.add(s);
  }
  if (wanted.size === 0) {
    throw new ArgumentError(`A token needs at least one scope (${scopes.join(", ")})`);
  }
  return scopes.filter((s) => wanted.has(s));
}

function digestOf(id: string, secret: string): Uint8Array {
  return blake3(encoder.encode(`cellar-token-1:${id}:${secret}`));
}

function bytesOfHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function randomHex(bytes: number): string {
  return hex(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** A stat key that changes whenever the file is replaced or rewritten. */
function fileKey(path: string): string | null {
  try {
    const s = Deno.statSync(path);
    return `${s.ino ?? ""}:${s.size}:${s.mtime?.getTime() ?? ""}:${s.ctime?.getTime() ?? ""}`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * The tokens of one data directory.
 *
 * @example
 * ```ts
 * import { allows, TokenStore } from "./tokens.ts";
 * const store = TokenStore.open(Deno.makeTempDirSync());
 * const { id, token } = store.create(["peek"], "dashboard");
 * const who = store.verify(token);
 * console.log(who?.id === id, allows(who!.scopes, "poke")); // true false
 * store.revoke(id);
 * console.log(store.verify(token)); // null
 * ```
 */
export class TokenStore {
  /** The data directory. */
  readonly dataDir: string;
  /** `<dataDir>/tokens.json`. */
  readonly path: string;
  #tokens: TokenRecord[] = [];
  #key: string | null = null;

  private constructor(dataDir: string) {
    this.dataDir = dataDir;
    this.path = `${dataDir}/${fileName}`;
  }

  /**
   * Open the tokens of `dataDir` (none when `tokens.json` does not exist yet; it is created
   * by the first {@linkcode TokenStore.create}). A malformed file is a
   * {@linkcode TokenStoreError} naming it.
   */
  static open(dataDir: string): TokenStore {
    if (typeof dataDir !== "string" || dataDir.length === 0) {
      throw new ArgumentError("The data directory must be a non-empty path");
    }
    const store = new TokenStore(dataDir);
    store.#load(fileKey(store.path));
    return store;
  }

  /**
   * Re-read the file if it changed since it was last read (compares inode, size and
   * times: one `stat`, cheap enough to call per request). A malformed file throws
   * {@linkcode TokenStoreError} and keeps the tokens read before.
   */
  reload(): void {
    const key = fileKey(this.path);
    if (key !== this.#key) this.#load(key);
  }

  /**
   * Create a token with these scopes and an optional label. Returns its id and the token
   * itself, which is not stored and cannot be shown again.
   */
  create(scopeList: Scope[], label = ""): { id: string; token: string } {
    const granted = parseScopes(scopeList);
    // deno-lint-ignore no-control-regex
    if (typeof label !== "string" || label.length > maxLabel || /[\x00-\x1f\x7f]/.test(label)) {
      throw new ArgumentError(
        `Bad token label: at most ${maxLabel} characters, without control characters`,
      );
    }
    this.reload();
    let id = randomHex(6);
    while (this.#tokens.some((t) => t.id === id)) id = randomHex(6);
    const secret = randomHex(32);
    const record: TokenRecord = {
      id,
      label,
      scopes: granted,
      createdAt: new Date().toISOString(),
      hash: hex(digestOf(id, secret)),
    };
    this.#write([...this.#tokens, record]);
    return { id, token: `cellar_${id}_${secret}` };
  }

  /** The tokens, oldest first (no secrets, no hashes). */
  list(): TokenInfo[] {
    return this.#tokens.map(({ id, label, scopes, createdAt }) => ({
      id,
      label,
      scopes: [...scopes],
      createdAt,
    }));
  }

  /** Revoke the token `id`; false when there is no such token. */
  revoke(id: string): boolean {
    this.reload();
    const rest = this.#tokens.filter((t) => t.id !== id);
    if (rest.length === this.#tokens.length) return false;
    this.#write(rest);
    return true;
  }

  /**
   * The id and scopes of a valid token, or null (malformed, unknown or revoked). Uses the
   * tokens as last read: call {@linkcode TokenStore.reload} first to see other processes'
   * changes.
   */
  verify(token: string): { id: string; scopes: Scope[] } | null {
    if (typeof token !== "string") return null;
    const m = tokenPattern.exec(token);
    if (m === null) return null;
    const [, id, secret] = m;
    const record = this.#tokens.find((t) => t.id === id);
    const presented = digestOf(id, secret);
    // An unknown id is compared against a dummy digest, so both paths do the same work.
    const stored = record ? bytesOfHex(record.hash) : new Uint8Array(32);
    const equal = constantTimeEqual(presented, stored);
    if (!equal || record === undefined) return null;
    return { id: record.id, scopes: [...record.scopes] };
  }

  #load(key: string | null): void {
    if (key === null) {
      this.#tokens = [];
      this.#key = null;
      return;
    }
    let text: string;
    try {
      text = Deno.readTextFileSync(this.path);
    } catch (cause) {
      if (cause instanceof Deno.errors.NotFound) {
        this.#tokens = [];
        this.#key = null;
        return;
      }
      throw new TokenStoreError(
        `Cannot read the token file ${this.path}: ${
          cause instanceof Error ? cause.message : cause
        }`,
        { cause },
      );
    }
    this.#tokens = this.#parse(text);
    this.#key = key;
  }

  #parse(text: string): TokenRecord[] {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (cause) {
      throw new TokenStoreError(`The token file ${this.path} is not valid JSON`, { cause });
    }
    const bad = (why: string) =>
      new TokenStoreError(
        `The token file ${this.path} is malformed: ${why}. Fix or delete it (deleting it ` +
          `revokes every token)`,
      );
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      throw bad("it is not a JSON object");
    }
    const file = data as Partial<TokenFile>;
    if (file.format !== format) throw bad(`its format is not "${format}"`);
    if (!Array.isArray(file.tokens)) throw bad("it has no tokens array");
    const seen = new Set<string>();
    return file.tokens.map((t: unknown, i: number) => {
      const r = t as Partial<TokenRecord>;
      const ok = typeof r === "object" && r !== null && typeof r.id === "string" &&
        idPattern.test(r.id) && typeof r.hash === "string" && hashPattern.test(r.hash) &&
        typeof r.label === "string" && typeof r.createdAt === "string" &&
        Array.isArray(r.scopes) && r.scopes.length > 0 &&
        r.scopes.every((s) => (scopes as readonly unknown[]).includes(s));
      if (!ok) throw bad(`token ${i + 1} lacks a valid id, hash, label, createdAt or scopes`);
      if (seen.has(r.id!)) throw bad(`token id ${r.id} appears twice`);
      seen.add(r.id!);
      return {
        id: r.id!,
        label: r.label!,
        scopes: [...r.scopes!],
        createdAt: r.createdAt!,
        hash: r.hash!,
      };
    });
  }

  /** Write the file atomically (temp with mode 0600, fsync, rename, directory fsync). */
  #write(tokens: TokenRecord[]): void {
    Deno.mkdirSync(this.dataDir, { recursive: true });
    const body: TokenFile = { format, tokens };
    const bytes = encoder.encode(JSON.stringify(body, null, 2) + "\n");
    try {
      writeFileAtomic(this.path, bytes, 0o600);
    } catch (cause) {
      throw new TokenStoreError(
        `Cannot write the token file ${this.path}: ${
          cause instanceof Error ? cause.message : cause
        }`,
        { cause },
      );
    }
    this.#tokens = tokens;
    this.#key = fileKey(this.path);
  }
}
