/**
 * Tests of tools/fn_lengths.ts: which functions it finds, how it counts their lines, and
 * that braces inside literals and comments do not confuse it.
 */

import { assertEquals } from "./_helpers.ts";
import { blankLiterals, longFunctions } from "../tools/fn_lengths.ts";

/** A body of `n` statement lines. */
function body(n: number, statement: string): string {
  return Array.from({ length: n }, () => `    ${statement}`).join("\n");
}

Deno.test("fn_lengths: Zig functions are counted from `fn` to the closing brace", () => {
  const source = [
    "pub fn short() void {",
    body(3, "x += 1;"),
    "}",
    "fn long(a: u32) error{ Meme, Exit }!void {",
    body(70, 'print("{", .{});'),
    "}",
    'extern "c" fn dladdr(addr: *const anyopaque) c_int;',
    'test "a long test is not a function" {',
    body(80, "x += 1;"),
    "}",
  ].join("\n");
  assertEquals(longFunctions("a.zig", source), [
    { file: "a.zig", line: 6, length: 72, name: "long" },
  ]);
  assertEquals(longFunctions("a.zig", source, 4), [
    { file: "a.zig", line: 1, length: 5, name: "short" },
    { file: "a.zig", line: 6, length: 72, name: "long" },
  ]);
});

Deno.test("fn_lengths: TypeScript declarations, methods and assigned arrows", () => {
  const source = [
    "export async function f(x: number): Promise<{ y: number }> {",
    body(2, "await g(`${x}{`);"),
    "}",
    "class C {",
    "  get size(): number {",
    body(2, "const re = /[{]/;"),
    "  }",
    "}",
    "const h = (a: string): void => {",
    body(2, "call(a, () => { /* { */ });"),
    "};",
    "call(() => {",
    body(9, "x++;"),
    "});",
  ].join("\n");
  const found = longFunctions("a.ts", source, 3).map((f) => [f.name, f.line, f.length]);
  assertEquals(found, [["f", 1, 4], ["size", 6, 4], ["h", 11, 4]]);
});

Deno.test("fn_lengths: literals and comments are blanked, newlines kept", () => {
  const text = blankLiterals('a = "{"; // }\nb = `x${ {c: 1} }y`;', "ts");
  assertEquals(text.split("\n").length, 2);
  assertEquals(text.replace(/[^{}]/g, ""), "{{}}");
});
