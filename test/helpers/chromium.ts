import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** The Chromium the browser tests and benchmarks drive: `$CHROMIUM_PATH`, else Debian's. They never download one. */
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/**
 * Why the browser tests cannot run here, or undefined when they can. Without Chromium they are skipped with this
 * message, except under CI (`CI` set), where the missing browser fails them: CI must run them.
 */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  return `no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH; the browser tests are skipped`;
}

/** Headless, and kept off the network: without these flags Chromium calls Google's services at start. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
