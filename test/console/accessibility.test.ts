import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { createMageflowClient } from "../../clients/typescript/src/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer } from "../support/server.js";
import { ensureConsoleBuilt, launchChromium } from "./browser.js";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

let server: RunningServer;
let browser: Browser;

before(async () => {
  ensureConsoleBuilt();
  server = await startTestServer();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close(500);
});

interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's WCAG 2.1 A/AA rules on the page as it is now. */
async function violations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })).violations;
  });
  return found.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })) }));
}

test("the console's pages pass axe-core's WCAG 2.1 AA checks (labels, contrast, names, landmarks)", async () => {
  const client = createMageflowClient({ baseUrl: `http://127.0.0.1:${server.httpPort}` });
  const callback = await client.asign("a11y-callback");
  const sig = await client.asign("a11y-task", { kwargs: { x: 1 }, successCallbacks: [callback.key], errorCallbacks: [callback.key] });
  await client.suspend((await client.asign("a11y-suspended")).key);
  client.close();

  // bypassCSP: the page forbids inline scripts, and axe is injected as one.
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, bypassCSP: true })).newPage();
  // Open mode: no token to paste.
  for (const [name, hash, ready] of [
    ["table", "#/signatures", "tr[data-key]"],
    ["signature page", `#/signature/${encodeURIComponent(sig.key)}`, "[data-testid=history] tr[data-event]"],
    ["graph", `#/graph/${encodeURIComponent(sig.key)}`, "[data-graph-node]"],
    ["overview", "#/overview", "[data-count=suspended]"],
  ] as const) {
    await page.goto(`http://127.0.0.1:${server.httpPort}/console/${hash}`);
    await page.locator(ready).first().waitFor();
    const found = await violations(page);
    assert.deepEqual(found, [], `${name}: ${JSON.stringify(found, null, 2)}`);
  }

  // The confirmation dialog, opened from the keyboard.
  await page.goto(`http://127.0.0.1:${server.httpPort}/console/#/signature/${encodeURIComponent(sig.key)}`);
  const suspend = page.getByRole("toolbar", { name: "Actions" }).getByRole("button", { name: "Suspend" });
  await suspend.focus();
  await page.keyboard.press("Enter");
  await page.getByRole("dialog").waitFor();
  // Contrast is measured as painted: wait until the dialog's opening transition has finished, that is
  // until the dialog and everything around it are fully opaque (a transition that has not started yet
  // is not among the running animations, so those alone can pass mid-fade on a busy machine).
  await page.waitForFunction(() => {
    for (let el = document.querySelector("[role=dialog]"); el; el = el.parentElement) if (getComputedStyle(el).opacity !== "1") return false;
    return !!document.querySelector("[role=dialog]") && document.getAnimations().every((a) => a.playState !== "running");
  });
  assert.deepEqual(await violations(page), []);
  await page.keyboard.press("Escape");
  await page.getByRole("dialog").waitFor({ state: "detached" });
  await page.close();
});
