/**
 * The server's profile (`cellar serve --profile DIR`, `startServer({ profile })`): the writer
 * Worker profiles the events it computes (pokes, driver events, cluster events; not the
 * boot's replay, nor the peek Workers), answers the admin routes' requests for the table
 * and the flame graph, and at shutdown writes `DIR/profile.txt`, `DIR/profile.folded` and
 * `DIR/profile.svg`.
 *
 * @module
 */

import { checkDirectory, ProfileSession } from "../runtime/profile.ts";
import type { ProfileFiles, ProfileTable } from "../runtime/profile.ts";

/** Main thread → writer: one profile request. */
export interface ProfileRequest {
  type: "profile";
  id: number;
  action: "table" | "svg" | "reset";
}

/** Writer → main thread: its answer. */
export interface ProfileReply {
  type: "profile";
  id: number;
  /** `table`, and after `reset` the empty table. */
  table?: ProfileTable;
  svg?: string;
  /** Why there is no answer (profiling is off, or the runtime is not open). */
  error?: string;
}

/** The busiest arms `GET /profile` shows. */
export const profileTableRows = 100;

/**
 * The checked, absolute profile directory of `dir` (undefined: no profile), or the reason it
 * cannot be used: it must be a directory (not a symlink), or absent beside a directory (it
 * is created at shutdown).
 */
export function profileDirectory(dir: string | undefined): { dir?: string; problem?: string } {
  if (dir === undefined) return {};
  if (dir.length === 0) return { problem: "the path is empty" };
  const problem = checkDirectory(dir, true);
  if (problem !== null) return { problem };
  return { dir: dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}` };
}

let session: ProfileSession | null = null;
let directory: string | null = null;

/** Start profiling the writer's events into `dir` (nothing when undefined). */
export function startWriterProfile(dir: string | undefined): void {
  if (dir === undefined || session !== null) return;
  directory = dir;
  session = ProfileSession.start();
}

/** Answer a profile request of the main thread. */
export function profileReply(request: ProfileRequest): ProfileReply {
  const { id } = request;
  if (session === null) return { type: "profile", id, error: "The server is not profiling" };
  if (request.action === "svg") return { type: "profile", id, svg: session.svg("cellar serve") };
  if (request.action === "reset") session.reset();
  return { type: "profile", id, table: session.table(profileTableRows) };
}

/** Write the profile to its directory (created when absent) and stop it; the files. */
export function finishWriterProfile(): ProfileFiles | null {
  if (session === null || directory === null) return null;
  try {
    Deno.mkdirSync(directory, { recursive: true });
    return session.write(`${directory}/profile`, "cellar serve");
  } finally {
    session.stop();
    session = null;
  }
}
