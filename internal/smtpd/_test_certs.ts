/**
 * _test_certs — a small PKI for TLS tests, made with openssl(1): a CA, a server certificate, a client certificate
 * the CA signed, and a self-signed client certificate. Tests only; never imported by the binary.
 */
import { join } from "node:path";

/** Paths of the PEM files (keys unencrypted). */
export interface TestPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** CN=client.example.test, issued by CN=Test CA. */
  clientCert: string;
  clientKey: string;
  /** CN=self.example.test, self-signed. */
  selfCert: string;
  selfKey: string;
}

function openssl(args: string[]): void {
  const r = Bun.spawnSync(["openssl", ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr.toString()}`);
}

/** Makes the certificates in `dir` (which must exist). */
export function makeTestPki(dir: string): TestPki {
  const p = (n: string) => join(dir, n);
  const self = (cn: string, key: string, cert: string) => openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${cn}`, "-keyout", key, "-out", cert]);
  self("Test CA", p("ca.key"), p("ca.pem"));
  self("localhost", p("server.key"), p("server.pem"));
  self("self.example.test", p("self.key"), p("self.pem"));
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=client.example.test", "-keyout", p("client.key"), "-out", p("client.csr")]);
  openssl(["x509", "-req", "-in", p("client.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial", "-days", "2", "-out", p("client.pem")]);
  return { caCert: p("ca.pem"), serverCert: p("server.pem"), serverKey: p("server.key"), clientCert: p("client.pem"), clientKey: p("client.key"), selfCert: p("self.pem"), selfKey: p("self.key") };
}

/** What `openssl x509 -fingerprint` prints for `cert` with `digest` (`AB:CD:…`). */
export function opensslFingerprint(cert: string, digest: string): string {
  const r = Bun.spawnSync(["openssl", "x509", "-in", cert, "-noout", "-fingerprint", `-${digest}`], { stdout: "pipe" });
  return r.stdout.toString().trim().replace(/^.*=/, "");
}

/** The public-key fingerprint of `cert` by openssl (digest of the DER SubjectPublicKeyInfo), upper case. */
export function opensslPkeyFingerprint(cert: string, digest: string): string {
  const r = Bun.spawnSync(["bash", "-c", `openssl x509 -in '${cert}' -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -${digest} -c`], { stdout: "pipe" });
  return r.stdout.toString().trim().replace(/^.*= */, "").toUpperCase();
}
