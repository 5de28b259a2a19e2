import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A CA (`ca.pem` in `folder`) and a key and certificate it signed for Nomad's server name, `server.global.nomad`, as
 * Nomad's `tls cert create -server` names it; made with the openssl command, valid two days.
 */
export function nomadCertificates(folder: string): { key: string; cert: string; ca: string } {
  mkdirSync(folder, { recursive: true });
  const openssl = (...args: string[]) => execFileSync("/usr/bin/openssl", args, { cwd: folder, stdio: "pipe" });
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Nomad test CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=server.global.nomad");
  writeFileSync(join(folder, "san.ext"), "subjectAltName=DNS:server.global.nomad\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  );
  return { key: readFileSync(join(folder, "server.key"), "utf8"), cert: readFileSync(join(folder, "server.pem"), "utf8"), ca: join(folder, "ca.pem") };
}
