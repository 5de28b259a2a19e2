import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { environmentFrom, VARIABLES } from "../loaders/ingest/environment.js";
import { nomadApi, nomadBase, type NomadApi } from "../loaders/sources/nomad/nomad-api.js";
import { takeSnapshot } from "../loaders/sources/nomad/take-snapshot.js";
import { updateUsers } from "../loaders/sources/nomad/users-update.js";
import type { Io } from "./main.js";
import { UsageError, type SnapshotOptions, type UsersOptions } from "./options.js";

/**
 * `accounting snapshot` and `accounting users update`: Nomad read as its own client reads it (`--nomad` or
 * `$NOMAD_ADDR`, the token of `--token-file` or `$NOMAD_TOKEN`, `$NOMAD_CACERT`, `$NOMAD_CLIENT_CERT`,
 * `$NOMAD_CLIENT_KEY`, `$NOMAD_TLS_SERVER_NAME`), then one line on stdout saying what was written (none with --quiet).
 */

/** How a command tells what it does on stderr: a line, and a warning line. */
export interface Teller {
  note(text: string): void;
  warn(text: string): void;
}

async function readSetting(what: string, path: string): Promise<Buffer> {
  return readFile(path).catch((error: Error) => {
    throw new UsageError(`cannot read ${what} ${path}: ${error.message}`);
  });
}

/** The connection the options and the environment describe; a file that cannot be read is a usage error. */
async function connect(options: SnapshotOptions | UsersOptions, io: Io, tell: Teller): Promise<NomadApi> {
  const { nomad } = environmentFrom(io.env);
  const address = options.nomad ?? nomad.address;
  if (address === undefined) throw new UsageError(`give Nomad's address: --nomad ADDR, or $${VARIABLES.nomadAddress}`);
  if (!nomadBase(address)) throw new UsageError(`Nomad's address ${JSON.stringify(address)} is not an http:// or https:// URL`);
  const token = options.tokenFile === undefined ? nomad.token : (await readSetting("the token file", options.tokenFile)).toString("utf8").trim();
  if (options.tokenFile !== undefined && !token) throw new UsageError(`the token file ${options.tokenFile} is empty`);
  if ((nomad.clientCert === undefined) !== (nomad.clientKey === undefined))
    throw new UsageError(`$${VARIABLES.nomadClientCert} and $${VARIABLES.nomadClientKey} go together: set both or neither`);
  return nomadApi({
    address,
    token,
    ca: nomad.caCert === undefined ? undefined : await readSetting(`$${VARIABLES.nomadCaCert}`, nomad.caCert),
    cert: nomad.clientCert === undefined ? undefined : await readSetting(`$${VARIABLES.nomadClientCert}`, nomad.clientCert),
    key: nomad.clientKey === undefined ? undefined : await readSetting(`$${VARIABLES.nomadClientKey}`, nomad.clientKey),
    serverName: nomad.serverName,
    onRetry: options.quiet ? undefined : tell.warn,
  });
}

function reading(options: SnapshotOptions | UsersOptions, tell: Teller) {
  return { namespaces: options.namespaces, onProgress: options.quiet ? undefined : tell.note, onWarning: options.quiet ? undefined : tell.warn };
}

export async function snapshot(options: SnapshotOptions, io: Io, tell: Teller): Promise<void> {
  const api = await connect(options, io, tell);
  try {
    const written = await takeSnapshot(options.archive, api, { ...reading(options, tell), now: io.now ?? Date.now });
    const jobs = [...written.jobs].map(([namespace, count]) => `${count} in ${namespace}`).join(", ");
    const skipped = written.skipped ? `; ${written.skipped} left out (see the warnings)` : "";
    if (!options.quiet) io.stdout.write(`Wrote a snapshot of ${jobs || "no namespace"}${skipped} to ${join(resolve(options.archive), written.file)}\n`);
  } finally {
    api.close();
  }
}

export async function usersUpdate(options: UsersOptions, io: Io, tell: Teller): Promise<void> {
  const api = await connect(options, io, tell);
  try {
    const update = await updateUsers(options.archive, api, reading(options, tell));
    if (!options.quiet)
      io.stdout.write(`Wrote ${update.total} users (${update.added} new, ${update.changed} changed) to ${join(resolve(options.archive), update.file)}\n`);
  } finally {
    api.close();
  }
}
