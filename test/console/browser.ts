import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { REPO_ROOT } from "../client/live-server.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** The console bundle the server serves; built here when missing (scripts/test.sh builds it in its `console` stage). */
export function ensureConsoleBuilt() {
  if (existsSync(join(REPO_ROOT, "console", "dist", "index.html"))) return;
  execFileSync("bash", [join(REPO_ROOT, "scripts", "console-build.sh")], { stdio: "inherit" });
}

/** Debian's headless Chromium, with no network of its own beyond the loopback pages it is sent to. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/test.sh stage console does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}
