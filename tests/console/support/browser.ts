// Debian's Chromium driven by playwright-core (no browser download). Locally without the
// browser the suites skip with a message; in CI (CI=true) they run and fail at launch.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// The flags of shared/notes/TOOLCHAIN.md; playwright gives each launch a fresh temporary profile.
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const IN_CI = /^(1|true|yes)$/i.test(process.env.CI ?? "");
const present = existsSync(CHROMIUM);

export const skipBrowser = !present && !IN_CI;
if (skipBrowser) {
  console.warn(`tests/console: browser tests SKIPPED, no Chromium at ${CHROMIUM} (apt-get install -y chromium). With CI=true they fail instead.`);
}

export async function launchChromium(): Promise<Browser> {
  if (!present) throw new Error(`No Chromium at ${CHROMIUM}: the console's end-to-end tests need it (apt-get install -y chromium, or set CHROMIUM_PATH).`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** A page on the console with every request it makes and every console error it logs. */
export interface Watched {
  origin: string;
  context: BrowserContext;
  page: Page;
  requests: string[];
  problems: string[];
}

export async function openConsole(browser: Browser, origin: string, viewport = { width: 1280, height: 900 }): Promise<Watched> {
  const context = await browser.newContext({ viewport });
  const requests: string[] = [];
  const problems: string[] = [];
  context.on("request", (r) => requests.push(r.url()));
  // Nothing may leave the machine: whatever is not the test server is recorded, then refused.
  await context.route("**/*", (route) => (new URL(route.request().url()).origin === origin ? route.continue() : route.abort()));
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${origin}/`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 10_000 });
  return { origin, context, page, requests, problems };
}

export async function screenshot(page: Page, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
}
