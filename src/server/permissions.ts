/**
 * The permissions of `cellar serve`: which of those it needs it holds, which it holds beyond
 * them (a loud warning at start), and `--probe-sandbox`'s attempts at what they must refuse.
 *
 * @module
 */

import { innerSocketPath } from "./http_front.ts";
import { libraryStatus } from "../core/ffi.ts";

/** What the server needs to read, write, load and listen on. */
export interface PermissionContext {
  dataDir: string;
  host: string;
  port: number;
  /** The kernel file given with --kernel, if any. */
  kernelPath?: string;
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/**
 * The permissions the process holds, probed by `Deno.permissions.query`: one line of what the
 * server needs (each should be `granted`) and warnings for anything it holds beyond that.
 */
export function permissionReport(
  context: PermissionContext,
): { lines: string[]; warnings: string[] } {
  const here = (rel: string) => decodeURIComponent(new URL(rel, import.meta.url).pathname);
  // An IPv6 address goes in brackets before its port.
  const host = context.host.includes(":") ? `[${context.host}]` : context.host;
  const address = `${host}:${context.port}`;
  const needed: [string, Deno.PermissionDescriptor][] = [
    [`read ${context.dataDir}`, { name: "read", path: context.dataDir }],
    [`write ${context.dataDir}`, { name: "write", path: context.dataDir }],
    [`read ${here("../")}`, { name: "read", path: here("../") }],
    ...libraryNeeds(here("../../zig-out/lib")),
    [`net ${address}`, { name: "net", host: address }],
    ["env CELLAR_LIB", { name: "env", variable: "CELLAR_LIB" }],
  ];
  if (context.kernelPath) {
    needed.push([`read ${context.kernelPath}`, { name: "read", path: context.kernelPath }]);
  }
  const lines = needed.map(([what, d]) => `${what}: ${granted(d) ? "granted" : "NOT granted"}`);
  lines.push(socketLine(context.dataDir));
  const warnings: string[] = [];
  const beyond: [string, Deno.PermissionDescriptor][] = [
    ["read of everything", { name: "read" }],
    ["read of /", { name: "read", path: "/" }],
    ["read of /etc", { name: "read", path: "/etc" }],
    ["read of /home", { name: "read", path: "/home" }],
    ["write of everything", { name: "write" }],
    ["write of /", { name: "write", path: "/" }],
    ["write of /tmp", { name: "write", path: "/tmp" }],
    ["write of /home", { name: "write", path: "/home" }],
    ["net to any host", { name: "net" }],
    ["net to example.com:443", { name: "net", host: "example.com:443" }],
    ["net on 0.0.0.0", { name: "net", host: `0.0.0.0:${context.port}` }],
    ["ffi of any library", { name: "ffi" }],
    ["ffi of /usr/lib", { name: "ffi", path: "/usr/lib" }],
    ["env of every variable", { name: "env" }],
    ["env HOME", { name: "env", variable: "HOME" }],
    ["run of any program", { name: "run" }],
    ["run of sh", { name: "run", command: "sh" }],
    ["run of /bin/sh", { name: "run", command: "/bin/sh" }],
    ["sys of everything", { name: "sys" }],
    ["sys hostname", { name: "sys", kind: "hostname" }],
    ["sys osRelease", { name: "sys", kind: "osRelease" }],
    ["sys networkInterfaces", { name: "sys", kind: "networkInterfaces" }],
  ];
  for (const [what, d] of beyond) {
    if (context.host === "0.0.0.0" && what === "net on 0.0.0.0") continue;
    if (granted(d)) warnings.push(what);
  }
  return { lines, warnings };
}

/**
 * The private socket behind the front that times out request heads (`http_front.ts`): wanted,
 * not needed (without it the server serves with no header timeout). deno.json's `serve` set
 * cannot grant it (Deno takes only absolute socket paths there).
 */
function socketLine(dataDir: string): string {
  const host = `unix:${innerSocketPath(dataDir)}`;
  return granted({ name: "net", host })
    ? `net ${host}: granted`
    : `net ${host}: not granted (optional: without it requests have no header timeout)`;
}

/**
 * What loading the native library needs: ffi of the library this process actually loaded
 * (named with the step that found it), plus read of it when it came from the cache (its
 * sha256 is checked first). When none could be loaded, ffi of the local build `localLib`.
 */
function libraryNeeds(localLib: string): [string, Deno.PermissionDescriptor][] {
  const status = libraryStatus();
  if (status instanceof Error) {
    return [[`ffi ${localLib} (no library loaded)`, { name: "ffi", path: localLib }]];
  }
  const needs: [string, Deno.PermissionDescriptor][] = [
    [`ffi ${status.path} (${status.source})`, { name: "ffi", path: status.path }],
  ];
  if (status.source === "cache" || status.source === "fetched") {
    needs.push([`read ${status.path} (${status.source})`, { name: "read", path: status.path }]);
  }
  return needs;
}

/** Attempts that the permission set must refuse, for `--probe-sandbox`. */
export function probeSandbox(dataDir: string): string[] {
  const out: string[] = [];
  const attempt = (what: string, fn: () => unknown) => {
    try {
      fn();
      out.push(`probe ${what}: allowed`);
    } catch (error) {
      const kind = error instanceof Deno.errors.NotCapable
        ? "denied"
        : error instanceof Error
        ? `failed (${error.name})`
        : "failed";
      out.push(`probe ${what}: ${kind}`);
    }
  };
  attempt("read /etc/hostname", () => Deno.readTextFileSync("/etc/hostname"));
  attempt("read /etc/passwd", () => Deno.readTextFileSync("/etc/passwd"));
  const outside = `${dataDir}/../cellar-probe-${crypto.randomUUID()}`;
  attempt(`write ${outside}`, () => {
    Deno.writeTextFileSync(outside, "x");
    Deno.removeSync(outside);
  });
  const inside = `${dataDir}/.cellar-probe-${crypto.randomUUID()}`;
  attempt(`write ${inside}`, () => {
    Deno.writeTextFileSync(inside, "x");
    Deno.removeSync(inside);
  });
  attempt("run /bin/true", () => new Deno.Command("/bin/true").outputSync());
  attempt("env HOME", () => Deno.env.get("HOME"));
  return out;
}
