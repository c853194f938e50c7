/**
 * Headless Chromium for the browser tests: Debian's `chromium` package driven by
 * `playwright-core` (pinned below). `.ci/install_chromium.sh` installs the browser; tests use
 * `ignore: !hasChromium` so a machine without it skips them with a message.
 *
 * Permissions (on top of what the rest of the suite needs): `--allow-run` (the browser),
 * `--allow-read`, `--allow-write` (playwright writes a temporary browser profile),
 * `--allow-env` and `--allow-sys=homedir`. No network permission: playwright talks to the
 * browser over a pipe, and the page under test is loaded by the browser, not by Deno.
 *
 * @module
 */

// playwright-core is pinned to 1.65.1 here and in launchChromium (it drives Debian 12's
// Chromium 156). Only this file names the package, so the pin is written in one place.
import type { Browser, Page } from "playwright-core";

export type { Browser, Page };

/** Where the browser is: `$CHROMIUM_PATH` or Debian's `/usr/bin/chromium`. */
export const chromiumPath: string = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Whether the browser is installed. Browser tests use `ignore: !hasChromium`. */
export const hasChromium: boolean = isExecutable(chromiumPath);

if (!hasChromium) {
  console.warn(
    `Skipping browser tests: ${chromiumPath} is absent (run .ci/install_chromium.sh to install it)`,
  );
}

/** Launch headless Chromium. Close the browser when done (`await browser.close()`). */
export async function launchChromium(): Promise<Browser> {
  // playwright-core's bundled `is-wsl` probes /proc/sys/fs/binfmt_misc/WSLInterop when it is
  // imported, a path Deno lets only --allow-all read. With this variable set the probe is
  // deferred to the functions that open desktop apps, which the tests never call.
  Deno.env.set("__IS_WSL_TEST__", "1");
  const { chromium } = await import("playwright-core");
  return await chromium.launch({
    executablePath: chromiumPath,
    // playwright adds --headless itself; the rest keep the browser quiet and CI-friendly.
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    timeout: 60_000,
  });
}

/** Where tests save screenshots (git-ignored). */
export const artifactsUrl: URL = new URL("./artifacts/", import.meta.url);
