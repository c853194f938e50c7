/**
 * Cellar: a persistent Nock runtime for Deno.
 *
 * Nouns live in a native workspace (a Zig library loaded with `Deno.dlopen`) and are held
 * from TypeScript through typed handles ({@linkcode Noun}). {@linkcode nock} runs Nock 4K.
 * {@linkcode Pma} keeps long-lived nouns in a memory-mapped slab file, committed durably and
 * read in place after a restart. {@linkcode Runtime} runs a NockApp kernel in a data
 * directory (event log, snapshots, recovery); {@linkcode serve} puts one behind HTTP.
 * {@linkcode nounToJson} and {@linkcode nounFromJson} are the one JSON form of nouns, and
 * {@linkcode buildKernel} compiles a kernel from Hoon.
 *
 * The native library is located when the module is imported, in this order: `CELLAR_LIB`
 * (with `--allow-env=CELLAR_LIB`); a local build beside a package imported from a file URL
 * (`zig-out/lib/libcellar.so`, from `deno task build`); the per-user cache (`$DENO_DIR/cellar`,
 * else `~/.cache/cellar`, `~/Library/Caches/cellar` or `%LOCALAPPDATA%\cellar`); and last the
 * package's own prebuilt library for this OS and architecture, fetched beside the module,
 * checked against its sha256 and written into the cache. Imported from a registry, it needs
 * `--allow-net` for the host, `--allow-env=HOME` (or `DENO_DIR`), and `--allow-read`,
 * `--allow-write` and `--allow-ffi` for the cache directory; the first call that needs the
 * library throws a `LibraryError` naming each place tried and the permission it lacked.
 * Packaged targets: linux-x86_64, linux-aarch64, macos-x86_64, macos-aarch64 and
 * windows-x86_64 (on Windows, nouns, nock, jam and cue work; the PMA, and so the runtime and
 * the server, do not yet).
 *
 * {@linkcode Hoon} boots Urbit's ivory pill and evaluates Hoon expressions through its
 * `wish` gate, with the standard jets matched from the `%fast` hints of the pill.
 *
 * @example Nock
 * ```ts
 * import { nock, Noun } from "@cellar/cellar";
 * using subject = Noun.from([41, 0]);
 * using formula = Noun.from([4, 0, 2]);
 * using product = nock(subject, formula);
 * console.log(product.toString()); // 42
 * ```
 *
 * @example A kernel in a data directory
 * ```ts
 * import { loadDefaultKernel, nounFromJson, Runtime } from "@cellar/cellar";
 * const runtime = Runtime.open({
 *   dataDir: await Deno.makeTempDir(),
 *   kernel: await loadDefaultKernel(),
 * });
 * using cause = nounFromJson(["put", "greeting", "hello"]);
 * using effects = runtime.poke(cause).effects;
 * console.log(runtime.eventNumber); // 1n
 * runtime.close();
 * ```
 *
 * @module
 */

import { startServer } from "./src/server/server.ts";
import type { RunningServer, ServerOptions } from "./src/server/server.ts";

export { Noun } from "./src/core/noun.ts";
export type { NounLike } from "./src/core/noun.ts";
export {
  collect,
  configure,
  drainSlogs,
  handleCount,
  interrupt,
  lastSteps,
  machineId,
  nock,
  workspaceStats,
} from "./src/core/machine.ts";
export type { MachineOptions, NockOptions, Slog, WorkspaceStats } from "./src/core/machine.ts";
export { Pma } from "./src/runtime/pma.ts";
export type {
  PmaDigest,
  PmaFault,
  PmaGcResult,
  PmaMugCheck,
  PmaOpenOptions,
  PmaOpenReport,
  PmaRefresh,
  PmaRejectedSlot,
  PmaScrubProgress,
  PmaStats,
} from "./src/runtime/pma.ts";
export { formatNoun, renderTank, renderTrace } from "./src/core/print.ts";
export type { FormatOptions } from "./src/core/print.ts";
export {
  ArgumentError,
  CellarError,
  CueError,
  HandleError,
  LibraryError,
  MemoryError,
  NockError,
  NounShapeError,
  PmaError,
  RenderBudgetError,
} from "./src/core/errors.ts";
export type { NockErrorKind, RenderLimit, TraceNoun } from "./src/core/errors.ts";
export { UnsafeDataDirError } from "./src/runtime/files.ts";
export { recoverTrustPma } from "./src/runtime/rebase.ts";
export type { TrustPmaOptions, TrustPmaReport } from "./src/runtime/rebase.ts";
export { Hoon } from "./src/hoon/ivory.ts";
export type { HoonBootOptions } from "./src/hoon/ivory.ts";
export {
  addedJetTable,
  addJets,
  builtinJetTable,
  exportJetRegistrations,
  importJetRegistrations,
  jetEntries,
  jetFoldedStacks,
  jetReport,
  jetStats,
  parseJetTable,
  setJetCheck,
  setJetLimits,
  setJetProfile,
} from "./src/core/jets.ts";
export type { JetLimits, JetMapping, JetStats, JetTable, KnownCore } from "./src/core/jets.ts";
export { renderFlameGraph } from "./src/core/flamegraph.ts";
export type { FlameGraphOptions } from "./src/core/flamegraph.ts";
export { formatProfileTable, ProfileSession } from "./src/runtime/profile.ts";
export type { ProfileArm, ProfileFiles, ProfileTable } from "./src/runtime/profile.ts";
export { Runtime, RuntimeError } from "./src/runtime/runtime.ts";
export { defaultKernel, loadDefaultKernel } from "./src/runtime/default_kernel.ts";
export type {
  BootReport,
  CommitStall,
  CommitStatus,
  CommitStep,
  ComputedEvent,
  GroupLimits,
  GroupRange,
  PokeOutcome,
  PokeRequest,
  PokeResult,
  ReplayProgress,
  RuntimeOptions,
  RuntimeStatus,
  SkippedLevel,
  SnapshotInfo,
  SnapshotStatus,
  StateOption,
  StateSource,
  WireLike,
} from "./src/runtime/runtime.ts";
export { wireLabel, wireNoun } from "./src/runtime/wire.ts";
export { DriverHost, HostStoppedError } from "./src/drivers/host.ts";
export type { DriverHostOptions, HostPokeResult } from "./src/drivers/host.ts";
export { driverWire, effectTag } from "./src/drivers/driver.ts";
export type { DeliveredEffect, Driver, DriverContext, PokeOrigin } from "./src/drivers/driver.ts";
export { fileDriver } from "./src/drivers/file.ts";
export { exitDriver } from "./src/drivers/exit.ts";
export { markdownDriver } from "./src/drivers/markdown.ts";
export { daToUnixMs, timerDriver } from "./src/drivers/timer.ts";
export type { TimerDriverOptions } from "./src/drivers/timer.ts";
export { httpDriver } from "./src/drivers/http.ts";
export type { HttpDriverOptions } from "./src/drivers/http.ts";
export type { KernelHttpOptions } from "./src/drivers/http_kernel.ts";
export { AttachedDrivers } from "./src/drivers/attached.ts";
export type { AttachedOptions, CommitOutcome } from "./src/drivers/attached.ts";
export { EventLog, EventLogError, logSchemaVersion } from "./src/runtime/event_log.ts";
export type { LogExtent, LoggedEvent, LoggedKernel } from "./src/runtime/event_log.ts";
export {
  adoptStateRoot,
  bootKernel,
  callArm,
  loadAxis,
  loadKernel,
  pathNoun,
  pathSegments,
  peekAxis,
  peekKernel,
  peekResult,
  pokeAxis,
  pokeKernel,
  stateAxis,
  toDa,
} from "./src/runtime/kernel.ts";
export type { KernelPokeProduct, PeekResult, StateRoot } from "./src/runtime/kernel.ts";
export type { SnapshotKind, SnapshotManifest } from "./src/runtime/snapshots.ts";
export type { PmaSnapshotFile } from "./src/runtime/files.ts";
export { Replica } from "./src/runtime/replica.ts";
export { hostTarget } from "./src/core/library.ts";
export type { LibraryFile, LibraryManifest } from "./src/core/library.ts";
export { libraryLocation, libraryStatus } from "./src/core/ffi.ts";
export {
  checkNounJson,
  jsonModes,
  listForms,
  nounFromJson,
  NounJsonError,
  nounToJson,
  parseNounJson,
} from "./src/core/json.ts";
export type { Json, JsonMode, ListForm, ReadOptions, WriteOptions } from "./src/core/json.ts";
export { buildKernel, kernelAxes, kernelModeOf } from "./src/hoon/kernel_build.ts";
export type { BuildKernelOptions, KernelMode } from "./src/hoon/kernel_build.ts";
export { ServerStartError } from "./src/server/server.ts";
export type { Health, RunningServer, ServerOptions } from "./src/server/server.ts";

/**
 * Serve a kernel over HTTP (the API of `docs/HTTP.md`): listen at once on `host:port`
 * (default `127.0.0.1:8080`; port 0 picks a free one), boot the data directory's runtime in
 * a writer Worker (the default kernel for a new directory, or `kernelPath`), then answer
 * pokes, peeks, `/status` and `/metrics`. The first start of a directory without tokens
 * writes an admin token to `<dataDir>/admin.token`. Throws {@linkcode ServerStartError}
 * for a bad option or an unreadable kernel; `ready` rejects if the runtime cannot boot.
 *
 * It needs `--allow-net` for the listen address, `--allow-read` and `--allow-write` for the
 * data directory, and what the library needs (see the module documentation). The Workers
 * run with the same permissions.
 *
 * @example
 * ```ts
 * import { serve } from "@cellar/cellar";
 * const dataDir = await Deno.makeTempDir();
 * const server = serve({ dataDir, port: 0, log: () => {} });
 * await server.ready;
 * const token = (await Deno.readTextFile(`${dataDir}/admin.token`)).trim();
 * const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
 * const poke = await fetch(new URL("poke", server.url), {
 *   method: "POST",
 *   headers,
 *   body: JSON.stringify(["put", "greeting", "hello"]),
 * });
 * console.log((await poke.json()).eventNumber); // 1
 * const peek = await fetch(new URL("peek/get/greeting", server.url), { headers });
 * console.log((await peek.json()).value); // "hello"
 * await server.shutdown();
 * ```
 */
export function serve(options: ServerOptions): RunningServer {
  return startServer(options);
}
