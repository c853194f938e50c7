/**
 * The `exit` driver: `[%exit code=@]` ends the host with that exit code, once the effects
 * listed before it in the same event were carried out (a code past 255, or a cell, is 1).
 *
 * @module
 */

import type { DeliveredEffect, Driver, DriverContext } from "./driver.ts";

/**
 * The exit driver.
 *
 * @example
 * ```ts
 * import { exitDriver } from "./exit.ts";
 * console.log(exitDriver().tags); // [ "exit" ]
 * ```
 */
export function exitDriver(): Driver {
  return {
    name: "exit",
    tags: ["exit"],
    handle({ effect }: DeliveredEffect, context: DriverContext): void {
      using code = effect.tail;
      const value = code.isCell ? 1n : code.toBigInt();
      context.exit(value <= 255n ? Number(value) : 1);
    },
  };
}
