/**
 * List every function longer than the house limit (70 lines, counted from the line that
 * declares it to the line of its closing brace, both included).
 *
 * ```
 * deno run --allow-read tools/fn_lengths.ts [--max N] [PATH ...]
 * ```
 *
 * Without paths it scans `zig/**\/*.zig`, `build.zig`, `src/**\/*.ts` and `mod.ts` under
 * the repository root. It prints `file:line  length  name` for each function over the
 * limit and exits with 1 if there is any.
 *
 * What counts as a function:
 * - Zig: every `fn` with a body (`pub`, `export`, `inline`, methods in containers). Test
 *   blocks (`test "..." { }`) are not functions and are not counted; `extern fn` and
 *   function types have no body and are skipped.
 * - TypeScript: function declarations (`function f(`, `async function* g(`), class and
 *   object-literal methods (including `get`/`set`, `static`, `async`), and arrow functions
 *   or function expressions assigned to a `const`/`let`. Arrows passed as arguments are
 *   part of the function around them.
 *
 * Strings, template literals, regular expression literals and comments are skipped when
 * matching braces. No dependencies.
 *
 * @module
 */

/** One function over the limit. */
export interface LongFunction {
  file: string;
  line: number;
  length: number;
  name: string;
}

const defaultMax = 70;

/**
 * The source with the contents of comments, strings, template literals and regular
 * expressions replaced by spaces (newlines kept), so braces can be matched by counting.
 */
export function blankLiterals(source: string, language: "zig" | "ts"): string {
  const out = source.split("");
  const blank = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (out[i] !== "\n") out[i] = " ";
  };
  let i = 0;
  // Template literal nesting: each entry is the brace depth at which a `${` was opened.
  const templates: number[] = [];
  let depth = 0;
  let last = ""; // Last significant character outside literals (regex detection).
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = lineEnd(source, i);
      blank(i, end);
      i = end;
    } else if (language === "zig" && c === "\\" && next === "\\") {
      const end = lineEnd(source, i); // A line of a Zig multiline string literal.
      blank(i, end);
      i = end;
    } else if (language === "ts" && c === "/" && next === "*") {
      const close = source.indexOf("*/", i + 2);
      const end = close < 0 ? source.length : close + 2;
      blank(i, end);
      i = end;
    } else if (c === '"' || c === "'") {
      const end = quotedEnd(source, i, c);
      blank(i + 1, end - 1);
      i = end;
      last = c;
    } else if (language === "ts" && c === "`") {
      i = templateEnd(source, i + 1, blank);
      if (source[i - 1] === "{") {
        templates.push(depth);
        depth++;
      }
      last = "`";
    } else if (language === "ts" && c === "}" && templates.at(-1) === depth - 1) {
      templates.pop();
      depth--;
      i = templateEnd(source, i + 1, blank);
      if (source[i - 1] === "{") {
        templates.push(depth);
        depth++;
      }
      last = "`";
    } else if (language === "ts" && c === "/" && regexMayStart(last)) {
      const end = regexEnd(source, i);
      blank(i + 1, end - 1);
      i = end;
      last = "/";
    } else {
      if (c === "{") depth++;
      if (c === "}") depth--;
      if (!/\s/.test(c)) last = c;
      i++;
    }
  }
  return out.join("");
}

function lineEnd(source: string, from: number): number {
  const nl = source.indexOf("\n", from);
  return nl < 0 ? source.length : nl;
}

/** Index just past the closing quote of the string starting at `from`. */
function quotedEnd(source: string, from: number, quote: string): number {
  let i = from + 1;
  while (i < source.length && source[i] !== quote && source[i] !== "\n") {
    i += source[i] === "\\" ? 2 : 1;
  }
  return Math.min(i + 1, source.length);
}

/**
 * Blank template text from `from` up to the closing backtick or a `${`; returns the index
 * just past it (the caller sees `{` at index - 1 for an interpolation).
 */
function templateEnd(
  source: string,
  from: number,
  blank: (from: number, to: number) => void,
): number {
  let i = from;
  while (i < source.length) {
    if (source[i] === "\\") {
      i += 2;
    } else if (source[i] === "`") {
      blank(from, i);
      return i + 1;
    } else if (source[i] === "$" && source[i + 1] === "{") {
      blank(from, i);
      return i + 2;
    } else {
      i++;
    }
  }
  blank(from, source.length);
  return source.length;
}

/** A `/` starts a regular expression after these (else it divides). */
function regexMayStart(last: string): boolean {
  return last === "" || "(,=:[!&|?{};+-*%<>~^".includes(last);
}

function regexEnd(source: string, from: number): number {
  let i = from + 1;
  let inClass = false;
  while (i < source.length && source[i] !== "\n") {
    const c = source[i];
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "[") inClass = true;
    if (c === "]") inClass = false;
    if (c === "/" && !inClass) return i + 1;
    i++;
  }
  return i;
}

/** Index of the `}` matching the `{` at `open` in blanked text (or the end). */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "{") depth++;
    if (text[i] === "}" && --depth === 0) return i;
  }
  return text.length - 1;
}

function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "(") depth++;
    if (text[i] === ")" && --depth === 0) return i;
  }
  return -1;
}

/** 1-based line of character index `at`, given the start index of every line. */
function lineOf(starts: number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return starts;
}

/** A function's name, where it is declared, and the index of the `{` opening its body. */
interface Found {
  name: string;
  at: number;
  open: number;
}

/**
 * The body of a Zig `fn` whose parameter list closes at `close`: the first `{` that does
 * not open an inline error set or container type in the return type; -1 if a `;` comes
 * first (no body).
 */
function zigBody(text: string, close: number): number {
  for (let i = close + 1; i < text.length; i++) {
    if (text[i] === ";") return -1;
    if (text[i] !== "{") continue;
    const before = text.slice(Math.max(0, i - 12), i).trimEnd();
    if (/(error|struct|enum|union|opaque)(\([^)]*\))?$/.test(before)) {
      i = matchingBrace(text, i);
      continue;
    }
    return i;
  }
  return -1;
}

function zigFunctions(text: string): Found[] {
  const found: Found[] = [];
  const re = /\bfn\s+([A-Za-z_][\w]*|@"[^"]*")\s*\(/g;
  for (const m of text.matchAll(re)) {
    const close = matchingParen(text, m.index + m[0].length - 1);
    if (close < 0) continue;
    const open = zigBody(text, close);
    if (open >= 0) found.push({ name: m[1], at: m.index, open });
  }
  return found;
}

const tsKeywords = new Set([
  "if",
  "for",
  "while",
  "switch",
  "catch",
  "return",
  "function",
  "new",
  "await",
  "typeof",
  "with",
  "super",
  "import",
  "delete",
  "void",
  "throw",
  "yield",
  "else",
  "do",
  "in",
  "of",
  "case",
]);

/**
 * The `{` of a TypeScript body after a parameter list closing at `close`, past an optional
 * return type annotation; -1 if what follows is not a body (a call, a declaration).
 */
function tsBody(text: string, close: number, arrow: boolean): number {
  let i = close + 1;
  while (/\s/.test(text[i] ?? "")) i++;
  if (text[i] === ":") {
    // Return type: object-type braces follow `:`, `<`, `|`, `&`, `,` or `(`.
    for (i++; i < text.length; i++) {
      const c = text[i];
      if (c === ";" || c === "=" && text[i + 1] !== ">") return -1;
      if (c === "=" && text[i + 1] === ">") break;
      if (c !== "{") continue;
      const prev = text.slice(0, i).trimEnd().at(-1) ?? "";
      if (":<|&,(".includes(prev)) {
        i = matchingBrace(text, i);
        continue;
      }
      return arrow ? -1 : i;
    }
  }
  if (arrow) {
    if (text[i] !== "=" || text[i + 1] !== ">") return -1;
    i += 2;
    while (/\s/.test(text[i] ?? "")) i++;
  }
  return text[i] === "{" ? i : -1;
}

function tsFunctions(text: string): Found[] {
  const found: Found[] = [];
  const declaration = /\bfunction\b\s*\*?\s*([A-Za-z_$][\w$]*)?\s*(<[^(]*>)?\s*\(/g;
  for (const m of text.matchAll(declaration)) {
    const close = matchingParen(text, m.index + m[0].length - 1);
    const open = close < 0 ? -1 : tsBody(text, close, false);
    if (open >= 0) found.push({ name: m[1] ?? "(function)", at: m.index, open });
  }
  const assigned =
    /\b(?:const|let)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]*)?=\s*(?:async\s*)?(<[^(]*>)?\(/g;
  for (const m of text.matchAll(assigned)) {
    const close = matchingParen(text, m.index + m[0].length - 1);
    const open = close < 0 ? -1 : tsBody(text, close, true);
    if (open >= 0) found.push({ name: m[1], at: m.index, open });
  }
  const method =
    /^[ \t]*(?:(?:public|protected|private|static|async|override|readonly|get|set)\s+)*\*?\s*(#?[A-Za-z_$][\w$]*|\[[^\]\n]+\])\s*(<[^(\n]*>)?\s*\(/gm;
  for (const m of text.matchAll(method)) {
    if (tsKeywords.has(m[1])) continue;
    const close = matchingParen(text, m.index + m[0].length - 1);
    const open = close < 0 ? -1 : tsBody(text, close, false);
    if (open >= 0) found.push({ name: m[1], at: m.index + m[0].indexOf(m[1]), open });
  }
  return found;
}

/** Every function of `source` longer than `max` lines. */
export function longFunctions(
  file: string,
  source: string,
  max: number = defaultMax,
): LongFunction[] {
  const language = file.endsWith(".zig") ? "zig" : "ts";
  const text = blankLiterals(source, language);
  const starts = lineStarts(text);
  const found = language === "zig" ? zigFunctions(text) : tsFunctions(text);
  const seen = new Set<number>();
  const out: LongFunction[] = [];
  for (const f of found) {
    if (seen.has(f.open)) continue; // `export function` and a method pattern can both match.
    seen.add(f.open);
    const first = lineOf(starts, f.at);
    const last = lineOf(starts, matchingBrace(text, f.open));
    const length = last - first + 1;
    if (length > max) out.push({ file, line: first, length, name: f.name });
  }
  return out.sort((a, b) => a.line - b.line);
}

async function* walk(dir: string, extension: string): AsyncGenerator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path, extension);
    else if (entry.isFile && entry.name.endsWith(extension)) yield path;
  }
}

async function defaultFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  for await (const f of walk(`${root}zig`, ".zig")) files.push(f);
  files.push(`${root}build.zig`);
  for await (const f of walk(`${root}src`, ".ts")) files.push(f);
  files.push(`${root}mod.ts`);
  return files;
}

async function main(args: string[]): Promise<number> {
  let max = defaultMax;
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--max") max = Number(args[++i]);
    else paths.push(args[i]);
  }
  if (!Number.isInteger(max) || max < 1) {
    console.error(`Bad --max: ${args[args.indexOf("--max") + 1]} is not a positive integer`);
    return 2;
  }
  const root = decodeURIComponent(new URL("../", import.meta.url).pathname);
  const files = paths.length > 0 ? paths : await defaultFiles(root);
  let count = 0;
  for (const file of files) {
    const source = await Deno.readTextFile(file);
    const shown = file.startsWith(root) ? file.slice(root.length) : file;
    for (const f of longFunctions(shown, source, max)) {
      console.log(`${f.file}:${f.line}  ${f.length} lines  ${f.name}`);
      count++;
    }
  }
  if (count > 0) console.log(`${count} function(s) over ${max} lines`);
  return count > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
