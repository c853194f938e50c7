/**
 * Cellar: a persistent Nock runtime for Deno.
 *
 * Nouns live in a native workspace (a Zig library loaded with `Deno.dlopen`) and are held
 * from TypeScript through typed handles ({@linkcode Noun}). {@linkcode nock} runs Nock 4K.
 * {@linkcode Pma} keeps long-lived nouns in a memory-mapped slab file, committed durably and
 * read in place after a restart.
 *
 * The library is found through `CELLAR_LIB` or at `zig-out/lib/libcellar.so` (built by
 * `deno task build`); it needs `--allow-ffi` for that path.
 *
 * {@linkcode Hoon} boots Urbit's ivory pill and evaluates Hoon expressions through its
 * `wish` gate, with the standard jets matched from the `%fast` hints of the pill.
 *
 * @example
 * ```ts
 * import { nock, Noun } from "@cellar/cellar";
 * using subject = Noun.from([41, 0]);
 * using formula = Noun.from([4, 0, 2]);
 * using product = nock(subject, formula);
 * console.log(product.toString()); // 42
 * ```
 *
 * @module
 */

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
  exportJetRegistrations,
  importJetRegistrations,
  jetReport,
  jetStats,
  setJetCheck,
  setJetProfile,
} from "./src/core/jets.ts";
export type { JetStats } from "./src/core/jets.ts";
export { defaultKernel, Runtime, RuntimeError } from "./src/runtime/runtime.ts";
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
