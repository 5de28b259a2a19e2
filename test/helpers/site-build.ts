import { renameSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { run } from "./project.js";

/** How a site is built: the key of its pseudonyms, and whether it is a private build (names and emails, titles). */
interface SiteBuildOptions {
  pseudonymKey?: string;
  private?: boolean;
}

/**
 * Builds the project copied at `project` (copyProject) on `archive` with `npm run build`, its ingest cache beside
 * `dist`, and moves its site to `dist`; the project's loader caches stay for the next build.
 */
export async function buildSite(project: string, archive: string, dist: string, options: SiteBuildOptions = {}): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ACCOUNTING_ARCHIVE: archive,
    ACCOUNTING_PSEUDONYM_KEY: options.pseudonymKey ?? "0123456789abcdef0123456789abcdef",
    ACCOUNTING_CACHE: `${dist}-cache`,
  };
  if (options.private) env.ACCOUNTING_PRIVATE = "1";
  else delete env.ACCOUNTING_PRIVATE;
  const { code, output } = await run("npm", ["run", "build"], project, env);
  if (code !== 0) throw new Error(`npm run build on ${archive} exited with ${code}:\n${output}`);
  renameSync(join(project, "dist"), dist);
  return dist;
}

/**
 * What a browser test holds against the pages: every console error, page error, dialog, HTTP error, failed request
 * to a site served, and request to any other host (those are refused too).
 */
export class BrowserWatch {
  /** The origins of the sites served: the only hosts a page may reach. */
  readonly origins = new Set<string>();
  readonly issues: string[] = [];
  private reported = 0;
  /** Requests the browser cancelled: issues unless their page was left since (news). */
  private readonly cancelled: { issue: string; left: () => boolean }[] = [];

  isLocal(url: string): boolean {
    if (url.startsWith("data:") || url.startsWith("blob:")) return true;
    return this.origins.has(new URL(url).origin);
  }

  /**
   * Notes what goes wrong on `page`. On a page of a context with JavaScript disabled, `javaScript: false`: Chromium
   * refuses its script preloads (as `csp`), which is not a failure.
   */
  watch(page: Page, { javaScript = true }: { javaScript?: boolean } = {}): Page {
    const where = () => page.url();
    page.on("console", (message) => {
      if (message.type() === "error") this.issues.push(`console error on ${where()}: ${message.text()} (${message.location().url})`);
    });
    page.on("pageerror", (error) => this.issues.push(`page error on ${where()}: ${error.message}`));
    page.on("dialog", (dialog) => {
      this.issues.push(`${dialog.type()} dialog on ${where()}: ${dialog.message()}`);
      void dialog.dismiss().catch(() => {});
    });
    page.on("response", (response) => {
      if (response.status() >= 400) this.issues.push(`HTTP ${response.status()} for ${response.url()} on ${where()}`);
    });
    // A request the browser cancels because its page was left (the test went on to another page) failed no one. The
    // documents the page shows are counted as they commit; a cancelled request is an issue only if, when the issues
    // are read, its page still shows the document that made it.
    let document = 0;
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) document++;
    });
    page.on("requestfailed", (request) => {
      const error = request.failure()?.errorText;
      if (!this.isLocal(request.url()) || (!javaScript && error === "csp")) return;
      const issue = `request failed on ${where()}: ${request.url()} (${error})`;
      if (error !== "net::ERR_ABORTED") this.issues.push(issue);
      else {
        const made = document;
        this.cancelled.push({ issue, left: () => document > made });
      }
    });
    return page;
  }

  /** Refuses, and notes, every request of `context` to a host not served. */
  async offline(context: BrowserContext): Promise<BrowserContext> {
    context.on("request", (request) => {
      if (!this.isLocal(request.url())) this.issues.push(`request to another host: ${request.url()}`);
    });
    await context.route(
      (url) => !this.isLocal(url.href),
      (route) => route.abort("blockedbyclient"),
    );
    return context;
  }

  /** The issues noted since the last call. */
  news(): string[] {
    for (const { issue, left } of this.cancelled.splice(0)) if (!left()) this.issues.push(issue);
    const found = this.issues.slice(this.reported);
    this.reported = this.issues.length;
    return found;
  }
}
