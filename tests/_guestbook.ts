/**
 * Checks of the example guestbook kernel (examples/guestbook.jam) served over HTTP, shared by
 * the tests of its two hosts (`cellar run --http-kernel`, `cellar serve --http-kernel`).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Page } from "./_chromium.ts";
import { assertEquals } from "./_helpers.ts";

/** The committed guestbook kernel. */
export const guestbookPath: string = decodeURIComponent(
  new URL("../examples/guestbook.jam", import.meta.url).pathname,
);

/**
 * On a fresh guestbook at `base` (its URL, with a trailing slash): the page, a signature, the
 * JSON API, and `%cache` (a second GET of /about is not a poke); 5 requests poked in all.
 */
export async function checkGuestbookPages(base: string): Promise<void> {
  let r = await fetch(base);
  assertEquals(r.status, 200);
  assert.match(r.headers.get("content-type") ?? "", /text\/html/);
  assert.match(await r.text(), /<h1>Guestbook<\/h1>/);
  r = await fetch(`${base}sign`, {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: "msg=from fetch <script>\r\n",
    redirect: "manual",
  });
  assertEquals(r.status, 303);
  assertEquals(r.headers.get("location"), "/");
  await r.body?.cancel();
  r = await fetch(`${base}api/messages`);
  assertEquals(await r.json(), { requests: 3, messages: ["from fetch <script>"] });
  for (let i = 0; i < 2; i++) {
    r = await fetch(`${base}about`);
    assertEquals(r.status, 200);
    assert.match(await r.text(), /A Cellar guestbook/);
  }
  r = await fetch(`${base}api/messages`);
  assertEquals((await r.json()).requests, 5);
}

/**
 * The host's own answers (the guestbook's timeout must be short): a crash (500, its trace id
 * and trace in `logged()`), a bad shape (502 with the reason), no answer (504).
 */
export async function checkHostAnswers(base: string, logged: () => string): Promise<void> {
  let r = await fetch(`${base}crash`);
  assertEquals(r.status, 500);
  const traceId = /trace id (\w+)/.exec(await r.text())![1];
  assert.match(logged(), new RegExp(`request ${traceId} \\(GET /crash\\) crashed the kernel`));
  assert.match(logged(), /%guestbook-crash/);
  r = await fetch(`${base}bad`);
  assertEquals(r.status, 502);
  assert.match(await r.text(), /status is not a number/);
  r = await fetch(`${base}silent`);
  assertEquals(r.status, 504);
  await r.body?.cancel();
}

/**
 * In a browser: load the fresh guestbook at `base`, sign it with each of `messages` through
 * its form, and see them listed on the page and in the JSON API.
 */
export async function signInBrowser(page: Page, base: string, messages: string[]): Promise<void> {
  await page.goto(base);
  assertEquals(await page.title(), "Guestbook");
  assertEquals(await page.locator("#messages li").count(), 0);
  for (const [i, message] of messages.entries()) {
    await page.fill("#msg", message);
    await Promise.all([page.waitForURL(base), page.click("#sign")]);
    await page.locator(`#messages li:nth-child(${i + 1})`).waitFor();
    assertEquals(await page.textContent(`#messages li:nth-child(${i + 1})`), message);
  }
  const api = await (await fetch(`${base}api/messages`)).json();
  assertEquals(api.messages, messages);
}
