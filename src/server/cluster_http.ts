/**
 * The HTTP side of a cluster member, in front of the route table: pokes go to the leader
 * (a follower answers `307` with `Location` at the leader's advertised URL, or `503` with
 * `{"leader": null}` while none is known; a fenced leader answers `503` at once), a peek
 * may ask for read-your-writes with `?min-event=N`, and a member that raised an alarm serves
 * neither pokes nor peeks.
 *
 * With `--http-kernel`, every request under the kernel's mount prefix is a poke (the kernel
 * answers from its committed effects): the same rule sends it to the leader, path and query
 * kept. Cellar's own API under `/_cellar/` follows the rules above (peeks served here).
 *
 * @module
 */

import { jsonResponse } from "./http_util.ts";
import { apiPrefix } from "./options.ts";
import type { ClusterMember } from "./cluster_member.ts";

/** How long a peek with `?min-event=N` waits for the member to reach event N. */
export const minEventWaitMs = 5000;

function refusal(code: string, message: string, leader: string | null): Response {
  return jsonResponse({ error: { code, message }, leader }, 503, { "retry-after": "1" });
}

/** The answer to a poke this member cannot take, or null when it leads. */
export function pokeRefusal(member: ClusterMember, url: URL): Response | null {
  if (member.alarm !== null) return refusal("ClusterAlarm", member.alarm, member.leader);
  if (member.role === "leader" && member.lease?.isValid()) return null;
  const leader = member.role === "leader" ? null : member.leader;
  if (member.role === "follower" && leader !== null && leader !== member.url) {
    const location = `${leader}${url.pathname}${url.search}`;
    return jsonResponse(
      { error: { code: "NotLeader", message: `Pokes go to the leader at ${leader}` }, leader },
      307,
      { location },
    );
  }
  const why = leader === null
    ? "No leader is known now; try again shortly"
    : `This member does not lead now (${member.role}); the leader is ${leader}`;
  return refusal("NotLeader", why, leader);
}

/**
 * The path of Cellar's API that `url` asks for, or null for a kernel route; `mount` is the
 * HTTP kernel's mount prefix (null: no HTTP kernel, the API is at the root).
 */
function apiPath(url: URL, mount: string | null): string | null {
  const path = url.pathname;
  if (mount === null) return path;
  if (path === apiPrefix || path.startsWith(`${apiPrefix}/`)) {
    return path.slice(apiPrefix.length) || "/";
  }
  return null;
}

/** Whether `path` is under the HTTP kernel's mount prefix `mount`. */
function mounted(path: string, mount: string): boolean {
  return mount === "" || path === mount || path.startsWith(`${mount}/`);
}

/**
 * What the cluster says about `request` before the routes see it: a response, or null to
 * let the routes answer. `committed` is the member's committed event; `mount` the HTTP
 * kernel's mount prefix (null: no HTTP kernel).
 */
export async function clusterGate(
  member: ClusterMember,
  request: Request,
  committed: () => bigint,
  mount: string | null = null,
): Promise<Response | null> {
  const url = new URL(request.url);
  const path = apiPath(url, mount);
  if (path === null) return mounted(url.pathname, mount!) ? pokeRefusal(member, url) : null;
  if (path === "/poke" && request.method === "POST") return pokeRefusal(member, url);
  if (!path.startsWith("/peek")) return null;
  if (member.alarm !== null) return refusal("ClusterAlarm", member.alarm, member.leader);
  const asked = url.searchParams.get("min-event");
  if (asked === null) return null;
  if (!/^[0-9]{1,18}$/.test(asked)) {
    return jsonResponse(
      { error: { code: "BadRequest", message: `Bad min-event: '${asked}'` } },
      400,
    );
  }
  const event = BigInt(asked);
  if (await member.reached(event, committed, minEventWaitMs)) return null;
  return refusal(
    "Behind",
    `This member is at event ${committed()}, not yet ${event}, after ${minEventWaitMs} ms`,
    member.leader,
  );
}
