/**
 * Checks the layering of `src/`: every relative import (type-only ones too) must point to the
 * same layer or a layer below, and no set of modules may import each other in a circle.
 *
 *   core/     ffi, errors, nouns, the machine, printing, jet controls
 *   runtime/  kernels, the event log, snapshots, the PMA, replicas, the runtime
 *   hoon/     the ivory pill and kernel building (uses runtime/kernel.ts)
 *   drivers/  the drivers of kernel effects (files, exit, markdown, timers) and their host
 *   server/   the HTTP server
 *   cluster/  cluster mode on NATS JetStream: the event stream, the lease, snapshot bucket
 *   cli/      the command line (may use everything)
 *
 * `deno run --allow-read tools/check_imports.ts` prints each violation and exits 1 if any.
 *
 * @module
 */

const root = new URL("../", import.meta.url);

/** Which layers each layer may import. */
const allowed: Record<string, readonly string[]> = {
  core: ["core"],
  runtime: ["core", "runtime"],
  hoon: ["core", "runtime", "hoon"],
  drivers: ["core", "runtime", "drivers"],
  server: ["core", "runtime", "drivers", "cluster", "server"],
  cluster: ["core", "runtime", "cluster"],
  cli: ["core", "runtime", "hoon", "drivers", "cluster", "server", "cli"],
};

const importPattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"/g;

function sourceFiles(dir: URL, prefix: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory) out.push(...sourceFiles(new URL(`${entry.name}/`, dir), `${rel}/`));
    else if (entry.name.endsWith(".ts")) out.push(rel);
  }
  return out;
}

function imports(file: string): string[] {
  const text = Deno.readTextFileSync(new URL(file, root));
  const out: string[] = [];
  for (const match of text.matchAll(importPattern)) {
    const target = new URL(match[1], new URL(file, root)).href.slice(root.href.length);
    out.push(target);
  }
  return out;
}

function layerOf(file: string): string | undefined {
  const parts = file.split("/");
  return parts[0] === "src" && parts.length > 2 ? parts[1] : undefined;
}

/** Strongly connected components of more than one file, or a file importing itself. */
function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    // Iterative Tarjan: frames of [node, position in its edge list].
    const frames: [string, number][] = [[start, 0]];
    index.set(start, next), low.set(start, next++), stack.push(start), onStack.add(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const [node, position] = frame;
      const edges = graph.get(node) ?? [];
      if (position < edges.length) {
        frame[1]++;
        const to = edges[position];
        if (!graph.has(to)) continue;
        if (!index.has(to)) {
          index.set(to, next), low.set(to, next++), stack.push(to), onStack.add(to);
          frames.push([to, 0]);
        } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
        continue;
      }
      frames.pop();
      if (frames.length > 0) {
        const parent = frames[frames.length - 1][0];
        low.set(parent, Math.min(low.get(parent)!, low.get(node)!));
      }
      if (low.get(node) !== index.get(node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || edges.includes(node)) found.push(component.sort());
    }
  }
  return found;
}

function main(): number {
  const files = [...sourceFiles(new URL("src/", root), "src/"), "mod.ts"];
  const graph = new Map(files.map((file) => [file, imports(file)]));
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    if (from === undefined) continue;
    for (const target of targets) {
      const to = layerOf(target);
      if (to === undefined || allowed[from]?.includes(to)) continue;
      problems.push(`${file}: imports ${target} (layer ${from} may not import ${to})`);
    }
  }
  for (const circle of circles(graph)) problems.push(`import circle among: ${circle.join(", ")}`);
  for (const problem of problems) console.error(problem);
  console.log(`imports: ${files.length} files, ${problems.length} problems`);
  return problems.length === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(main());
