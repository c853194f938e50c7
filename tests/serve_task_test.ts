/**
 * `deno task serve` with flags: tools/serve.ts runs the server under the permissions the
 * flags need (another port, another data directory), refuses a bad flag in one line, and
 * passes SIGTERM on for a clean stop.
 *
 * @module
 */

import assert from "node:assert/strict";
import { servePermissions } from "../tools/serve.ts";

const root = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function task(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "serve", ...args],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Read `stream` until its text so far contains `needle` (or it ends); the text read. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  needle: string,
  seen = "",
): Promise<string> {
  const decoder = new TextDecoder();
  let text = seen;
  while (!text.includes(needle)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

Deno.test("deno task serve: --port, --data and --jets work, and SIGTERM stops it cleanly", async () => {
  const data = Deno.makeTempDirSync({ prefix: "cellar_serve_task_test_" });
  const port = freePort();
  // An app's jet table outside the data directory: the server may read it (and only it).
  const jets = Deno.makeTempFileSync({ prefix: "cellar_serve_task_jets_", suffix: ".json" });
  Deno.writeTextFileSync(jets, JSON.stringify({ jets: [{ path: "myapp/k1/add", jet: "add" }] }));
  const child = task(["--port", String(port), "--data", data, "--jets", jets]);
  const reader = child.stdout.getReader();
  try {
    let out = await readUntil(reader, "cellar serve: booted at event 0");
    assert(out.includes(`cellar serve: listening on http://127.0.0.1:${port}/`), out);
    assert(out.includes("cellar serve: permissions: nothing beyond the above"), out);
    const token = Deno.readTextFileSync(`${data}/admin.token`).trim();
    const poke = await fetch(`http://127.0.0.1:${port}/poke`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(["put", "port", String(port)]),
    });
    assert.equal(poke.status, 200);
    assert.equal((await poke.json()).eventNumber, 1);
    child.kill("SIGTERM");
    out = await readUntil(reader, "cellar serve: stopped", out);
    assert(out.includes("cellar serve: stopped\n"), out);
    assert.equal((await child.status).code, 0);
  } finally {
    reader.releaseLock();
    await child.stdout.cancel();
    await child.stderr.cancel();
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    Deno.removeSync(data, { recursive: true });
    Deno.removeSync(jets);
  }
});

Deno.test("deno task serve: a bad flag is one line and exit status 2", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "serve", "--port", "99999"],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 2);
  assert.equal(
    new TextDecoder().decode(output.stderr),
    "cellar serve: Bad --port: '99999' is not a whole number from 0 to 65535 " +
      "(see cellar serve --help)\n",
  );
});

Deno.test("deno task serve: the permissions follow the flags", () => {
  const flags = servePermissions(
    { dataDir: "/srv/cellar", host: "::1", port: 9000, kernelPath: "/k/app.jam" },
    "/opt/libcellar.so",
  );
  assert.deepEqual(flags, [
    `--allow-read=/srv/cellar,${root}/src,${root}/kernels,${root}/zig-out/lib,/opt/libcellar.so,/k/app.jam`,
    "--allow-write=/srv/cellar",
    `--allow-ffi=${root}/zig-out/lib,/opt/libcellar.so`,
    "--allow-env=CELLAR_LIB",
    "--allow-net=[::1]:9000,unix:/srv/cellar/run/http.sock",
  ]);
});

Deno.test("deno task serve: --profile DIR is read and written, its parent read", () => {
  const flags = servePermissions({
    dataDir: "/srv/cellar",
    host: "127.0.0.1",
    port: 8080,
    profile: "/var/prof/now",
  });
  assert.equal(
    flags[0],
    `--allow-read=/srv/cellar,${root}/src,${root}/kernels,${root}/zig-out/lib,/var/prof/now,/var/prof`,
  );
  assert.equal(flags[1], "--allow-write=/srv/cellar,/var/prof/now");
});

Deno.test("deno task serve: --jets FILE is read, --cluster's NATS servers reached", () => {
  const flags = servePermissions({
    dataDir: "/srv/cellar",
    host: "127.0.0.1",
    port: 8080,
    jetsPath: "/etc/cellar/jets.json",
    cluster: { urls: ["nats://10.0.0.1:4222", "tls://nats.example:4443"], app: "kv" },
  });
  assert.equal(
    flags[0],
    `--allow-read=/srv/cellar,${root}/src,${root}/kernels,${root}/zig-out/lib,/etc/cellar/jets.json`,
  );
  assert.equal(
    flags[4],
    "--allow-net=127.0.0.1:8080,unix:/srv/cellar/run/http.sock,10.0.0.1:4222,nats.example:4443",
  );
});
