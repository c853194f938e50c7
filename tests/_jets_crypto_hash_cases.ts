/**
 * Conformance cases of the Argon2 jet (zig/jets/crypto_argon.zig): zuse's
 * `++argon2:argon2:crypto` on the ivory pill, whose inner gate (`[msg=byts sat=byts]`) is
 * the registered core. The parameters are tiny (8 to 16 KiB of memory, one or two passes)
 * so that the arm's Nock, a few million steps, finishes within each case's budget; RFC
 * 9106's vectors are the Zig unit tests'. The cases cover the four types (with Urbit's
 * `%u`), versions 0x10 and 0x13, two lanes, a key and associated data, a tag past 64 bytes
 * (H' chaining), a tag of length 0 (a 1-byte BLAKE2b) and the short-salt crash.
 *
 * @module
 */

import { budget, c, type Case, crash } from "./_jet_cases.ts";

const argon = (outer: string, inner: string) => `((argon2:argon2:crypto ${outer}) ${inner})`;
const salt8 = "[8 0x1122.3344.5566.7788]";

export const cryptoHashCases: Record<string, Case[]> = {
  argon2: [
    budget(
      20_000_000,
      c(
        argon("32 %d 0x13 1 8 1 0^0 0^0", `[4 0x7061.7373] ${salt8}`),
        "3230941639191147399312557287670379897988740817798235011421528956322812070042",
      ),
    ),
    budget(
      60_000_000,
      c(
        argon("24 %i 0x10 2 16 2 0^0 0^0", "[5 0x1.0203.0405] [9 0x11.2233.4455.6677.8899]"),
        "1391838365280152449941796625091959953651031281457046098127",
      ),
    ),
    budget(
      40_000_000,
      c(
        argon("80 %id 0x13 1 8 2 [3 0xab.cdef] [2 0x9988]", "[0 0] [8 0x11.2233.4455.6677.8899]"),
        "43931842702977422741616741651965690385722918585150190965356179860574063993960300071" +
          "46897904037793309590614430144921729831772244691291383626719620882441696574513110370" +
          "50650886196493151196632967",
      ),
    ),
    budget(
      20_000_000,
      c(argon("0 %u 0x13 1 12 1 0^0 0^0", "[3 0x6162.6364] [8 0x7061.7373]"), "59"),
    ),
    crash(argon("32 %d 0x13 1 8 1 0^0 0^0", "[4 0x7061.7373] [7 0x1122.3344.5566.7788]")),
  ],
};
