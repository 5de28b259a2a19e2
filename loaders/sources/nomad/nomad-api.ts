import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { parseJsonExact } from "../../model/python-json.js";

/**
 * Nomad's HTTP API (`/v1/…`), read as its own client reads it: the ACL token in `X-Nomad-Token`, TLS verified against
 * a CA file, a client certificate for mutual TLS, a server name to check instead of the address's host. Each request
 * has a time limit; a lost connection, a time out or a server error (5xx) is tried again a bounded number of times,
 * a refusal (4xx) is not. The token never appears in an error.
 */

/** Where and how to reach Nomad. */
interface NomadConnection {
  /** `http://host:port` or `https://host:port` (Nomad's `NOMAD_ADDR`). */
  address: string;
  /** The ACL token, if any. */
  token?: string;
  /** PEM of the CA that signed the server's certificate (`NOMAD_CACERT`); the system's CAs otherwise. */
  ca?: Buffer;
  /** PEM of a client certificate and its key, for mutual TLS (`NOMAD_CLIENT_CERT`, `NOMAD_CLIENT_KEY`). */
  cert?: Buffer;
  key?: Buffer;
  /** The name the server's certificate must carry, when not the address's host (`NOMAD_TLS_SERVER_NAME`). */
  serverName?: string;
  /** Time allowed for one request, answer included, in ms (default 30 s). */
  timeoutMs?: number;
  /** The waits before each new try, in ms: as many tries again as waits (default 1, 2 and 4 s). */
  retryDelaysMs?: number[];
  /** Told of each failed try that is tried again. */
  onRetry?: (message: string) => void;
}

/** Nomad cannot be read: unreachable, refusing, failing or answering what is not JSON, after the tries allowed. */
export class NomadError extends Error {}

/** Nomad answered 404: what was asked for is not there (a job garbage-collected since it was listed). */
export class NomadNotFound extends NomadError {}

/** A failure that may pass: a lost connection, a time out, a server error. */
class Transient extends Error {}

const DEFAULT_TIMEOUT_MS = 30_000;
/** OpenSSL's and Node's codes for a certificate that cannot be trusted or does not name the server. */
const UNTRUSTED = /CERT|SIGNATURE|SELF_SIGNED|ISSUER|ERR_TLS|ERR_SSL/;
const DEFAULT_RETRY_DELAYS_MS = [1000, 2000, 4000];
/** What an error quotes of Nomad's answer at most. */
const QUOTED_ANSWER = 200;

export interface NomadApi {
  /** `GET /v1/<path>?<query>`, parsed with every integer exact. */
  get(path: string, query?: Record<string, string>): Promise<unknown>;
  /** Closes the connections kept open. */
  close(): void;
}

/** `address` checked: an http or https URL with no query nor credentials; its path is kept (a proxy's prefix). */
export function nomadBase(address: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return undefined;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash || url.username || url.password) return undefined;
  return url;
}

export function nomadApi(connection: NomadConnection): NomadApi {
  const base = nomadBase(connection.address);
  if (!base) throw new NomadError(`the Nomad address ${JSON.stringify(connection.address)} is not an http:// or https:// URL`);
  const secure = base.protocol === "https:";
  const tls = { ca: connection.ca, cert: connection.cert, key: connection.key, servername: connection.serverName };
  const agent = secure ? new HttpsAgent({ keepAlive: true, ...tls }) : new HttpAgent({ keepAlive: true });
  const timeoutMs = connection.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const delays = connection.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const token = connection.token;
  /** A message without the token, whatever a library or the server put in it. */
  const clean = (text: string) => (token ? text.split(token).join("<token>") : text);

  const once = (url: URL, what: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Accept: "application/json" };
      if (token) headers["X-Nomad-Token"] = token;
      const request = (secure ? httpsRequest : httpRequest)(url, { method: "GET", agent, headers, ...(secure ? tls : {}) });
      const late = new Transient(`no answer to ${what} within ${timeoutMs / 1000} s`);
      let timedOut = false;
      const timer = setTimeout(() => ((timedOut = true), request.destroy(late)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      request.on("error", (error: NodeJS.ErrnoException) => {
        if (error instanceof Transient) return fail(error);
        const message = `cannot read ${what}: ${error.code ? `${error.code}, ` : ""}${error.message}`;
        // A certificate refused stays refused: trying again cannot help.
        fail(UNTRUSTED.test(error.code ?? "") ? new NomadError(message) : new Transient(message));
      });
      request.on("response", (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", () => undefined);
        response.on("close", () => {
          clearTimeout(timer);
          const body = Buffer.concat(chunks).toString("utf8");
          const status = response.statusCode ?? 0;
          const said = body.trim().split("\n")[0]?.slice(0, QUOTED_ANSWER) ?? "";
          const answer = `Nomad answered ${status}${said ? ` (${said})` : ""}`;
          if (!response.complete) reject(timedOut ? late : new Transient(`the connection was cut while reading ${what}`));
          else if (status >= 500) reject(new Transient(`${answer} to ${what}`));
          else if (status === 404) reject(new NomadNotFound(`${answer} to ${what}`));
          else if (status < 200 || status >= 300) reject(new NomadError(`${answer} to ${what}${status === 403 ? ": is the ACL token right?" : ""}`));
          else resolve(body);
        });
      });
      request.end();
    });

  return {
    async get(path, query = {}) {
      const url = new URL(`${base.pathname.replace(/\/+$/, "")}/v1/${path}`, base.origin);
      for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
      const what = `${base.origin}${url.pathname}${url.search}`;
      for (let attempt = 0; ; attempt++) {
        try {
          const body = await once(url, what);
          try {
            return parseJsonExact(body);
          } catch (error) {
            throw new NomadError(`Nomad's answer to ${what} is not JSON: ${(error as Error).message}`);
          }
        } catch (error) {
          const message = clean((error as Error).message);
          if (!(error instanceof Transient)) throw error instanceof NomadNotFound ? new NomadNotFound(message) : new NomadError(message);
          const delay = delays[attempt];
          if (delay === undefined) throw new NomadError(attempt ? `${message} (tried ${attempt + 1} times)` : message);
          connection.onRetry?.(`${message}; trying again in ${delay / 1000} s`);
          await sleep(delay);
        }
      }
    },
    close: () => agent.destroy(),
  };
}
