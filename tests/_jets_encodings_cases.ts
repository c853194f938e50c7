/**
 * Conformance cases of the encodings family (zig/jets/encodings.zig): `de:base16:mimes:html`
 * on the ivory pill. Its product is `[~ len value]`, `~` when a byte is no hex digit.
 *
 * @module
 */

import { c, type Case } from "./_jet_cases.ts";

/** The encodings family's cases, by native entry name. */
export const encodingsCases: Record<string, Case[]> = {
  "base16-de": [
    c("(de:base16:mimes:html '0aFf')", "[0 2 2815]"),
    c("(de:base16:mimes:html 'abc')", "[0 2 2748]"),
    c("(de:base16:mimes:html '')", "[0 0 0]"),
    c("(de:base16:mimes:html '0g')", "0"),
    c('(de:base16:mimes:html (crip "00ff00"))', "[0 3 65280]"),
    c("(de:base16:mimes:html (en:base16:mimes:html [20 (shax 'x')]))"),
  ],
};
