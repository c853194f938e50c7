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

export { Noun } from "./src/noun.ts";
export type { NounLike } from "./src/noun.ts";
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
} from "./src/machine.ts";
export type { MachineOptions, NockOptions, Slog, WorkspaceStats } from "./src/machine.ts";
export { Pma } from "./src/pma.ts";
export type {
  PmaDigest,
  PmaGcResult,
  PmaOpenOptions,
  PmaOpenReport,
  PmaRefresh,
  PmaRejectedSlot,
  PmaStats,
} from "./src/pma.ts";
export { formatNoun, renderTank, renderTrace } from "./src/print.ts";
export type { FormatOptions } from "./src/print.ts";
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
} from "./src/errors.ts";
export type { NockErrorKind } from "./src/errors.ts";
export {
  exportJetRegistrations,
  Hoon,
  importJetRegistrations,
  jetReport,
  jetStats,
  setJetCheck,
  setJetProfile,
} from "./src/hoon.ts";
export type { HoonBootOptions, JetStats } from "./src/hoon.ts";
export { defaultKernel, Runtime, RuntimeError } from "./src/runtime.ts";
export type {
  BootReport,
  CommitStep,
  PokeResult,
  ReplayProgress,
  RuntimeOptions,
  RuntimeStatus,
  SkippedLevel,
  SnapshotInfo,
  SnapshotStatus,
} from "./src/runtime.ts";
export { EventLog, EventLogError, logSchemaVersion } from "./src/event_log.ts";
export type { LogExtent, LoggedEvent, LoggedKernel } from "./src/event_log.ts";
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
} from "./src/kernel.ts";
export type { KernelPokeProduct, PeekResult, StateRoot } from "./src/kernel.ts";
export type { SnapshotKind, SnapshotManifest } from "./src/snapshots.ts";
export type { PmaSnapshotFile } from "./src/files.ts";
export { Replica } from "./src/replica.ts";
