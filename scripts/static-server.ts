import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".parquet": "application/octet-stream",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

export interface StaticSite {
  /** `http://127.0.0.1:<port><base>` */
  url: string;
  close(): Promise<void>;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Serves `folder` under the sub-path `base` (as GitHub Pages serves a project site), `/page` as `page.html`, on
 * 127.0.0.1 at `port` (any free one by default).
 */
export async function serveStatic(folder: string, base: string, port = 0): Promise<StaticSite> {
  const server: Server = createServer(async (request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    if (!pathname.startsWith(base)) return void response.writeHead(404).end();
    const relative = normalize(pathname.slice(base.length)).replace(/^(\.\.[/\\])+/, "");
    const candidates = [join(folder, relative), join(folder, `${relative}.html`), join(folder, relative, "index.html")];
    for (const path of candidates) {
      if (await isFile(path)) {
        response.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" });
        return void createReadStream(path).pipe(response);
      }
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const { port: listening } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${listening}${base}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
