import { chromium, type Browser } from "playwright-core";

/** Debian's Chromium: the tests and benchmarks never download a browser of their own. */
export const CHROMIUM = "/usr/bin/chromium";

/** Headless, and kept off the network: without these flags Chromium calls Google's services at start. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
