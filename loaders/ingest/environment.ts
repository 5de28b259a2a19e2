import { homedir } from "node:os";
import { join } from "node:path";

/** Every environment variable the pipeline reads: this module reads them, and no other. */
export const VARIABLES = {
  archive: "ACCOUNTING_ARCHIVE",
  private: "ACCOUNTING_PRIVATE",
  pseudonymKey: "ACCOUNTING_PSEUDONYM_KEY",
  cache: "ACCOUNTING_CACHE",
  verifyContent: "ACCOUNTING_VERIFY_CONTENT",
  nomadAddress: "NOMAD_ADDR",
  nomadToken: "NOMAD_TOKEN",
  nomadCaCert: "NOMAD_CACERT",
  nomadClientCert: "NOMAD_CLIENT_CERT",
  nomadClientKey: "NOMAD_CLIENT_KEY",
  nomadServerName: "NOMAD_TLS_SERVER_NAME",
} as const;

/** What the environment of a run or a build says, read once. */
export interface Environment {
  /** `$ACCOUNTING_ARCHIVE`: the site build's archive. */
  archive: string | undefined;
  /** `$ACCOUNTING_PRIVATE=1`: a build for administrators. */
  private: boolean;
  /** `$ACCOUNTING_PSEUDONYM_KEY`, unchecked (loaders/ingest/pseudonym.ts checks it). */
  pseudonymKey: string | undefined;
  /** `$ACCOUNTING_CACHE`: the ingest cache's folder. */
  cache: string | undefined;
  /** `$ACCOUNTING_VERIFY_CONTENT=1`: tell snapshot files apart by content too. */
  verifyContent: boolean;
  /** Where caches go by default: `$XDG_CACHE_HOME`, else `$HOME/.cache`. */
  cacheHome: string;
  /** Nomad's own client's variables, for `snapshot` and `users update`: its address, ACL token and TLS files. */
  nomad: {
    address: string | undefined;
    /** A secret: never to be shown. */
    token: string | undefined;
    caCert: string | undefined;
    clientCert: string | undefined;
    clientKey: string | undefined;
    serverName: string | undefined;
  };
}

export function environmentFrom(env: Record<string, string | undefined>): Environment {
  const set = (name: string) => env[name] || undefined;
  return {
    archive: set(VARIABLES.archive),
    private: env[VARIABLES.private] === "1",
    pseudonymKey: set(VARIABLES.pseudonymKey),
    cache: set(VARIABLES.cache),
    verifyContent: env[VARIABLES.verifyContent] === "1",
    cacheHome: env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache"),
    nomad: {
      address: set(VARIABLES.nomadAddress),
      token: set(VARIABLES.nomadToken)?.trim() || undefined,
      caCert: set(VARIABLES.nomadCaCert),
      clientCert: set(VARIABLES.nomadClientCert),
      clientKey: set(VARIABLES.nomadClientKey),
      serverName: set(VARIABLES.nomadServerName),
    },
  };
}
