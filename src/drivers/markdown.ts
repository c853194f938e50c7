/**
 * The `markdown` driver: `[%markdown text=@t]` prints the text (as it is, without
 * rendering) to the host's output.
 *
 * @module
 */

import type { DeliveredEffect, Driver, DriverContext } from "./driver.ts";

/**
 * The markdown driver.
 *
 * @example
 * ```ts
 * import { markdownDriver } from "./markdown.ts";
 * console.log(markdownDriver().tags); // [ "markdown" ]
 * ```
 */
export function markdownDriver(): Driver {
  return {
    name: "markdown",
    tags: ["markdown"],
    handle({ effect }: DeliveredEffect, context: DriverContext): void {
      using text = effect.tail;
      if (text.isCell) {
        context.log("ignored a [%markdown …] whose text is a cell, not a cord");
        return;
      }
      // NockApp reads the text up to its first NUL byte.
      const bytes = text.toBytes();
      const end = bytes.indexOf(0);
      context.print(new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end)));
    },
  };
}
