import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Forge from "node-forge";

/** PEM files of a test PKI: a CA with a server and a client certificate, and a second, foreign CA with a client certificate. */
export interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  otherCa: string;
  otherClientCert: string;
  otherClientKey: string;
  read(path: string): Buffer;
}

/**
 * Makes the test PKI with the `openssl` command when it is there, else with node-forge (a
 * devDependency). MAGEFLOW_TEST_PKI=forge forces node-forge.
 */
export async function makePki(): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), "mageflow-pki-"));
  const hasOpenssl = process.env.MAGEFLOW_TEST_PKI !== "forge" && spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;
  if (hasOpenssl) withOpenssl(dir);
  else await withForge(dir);
  const p = (f: string) => join(dir, f);
  return {
    dir,
    ca: p("ca.pem"),
    serverCert: p("server.pem"),
    serverKey: p("server.key"),
    clientCert: p("client.pem"),
    clientKey: p("client.key"),
    otherCa: p("other-ca.pem"),
    otherClientCert: p("other-client.pem"),
    otherClientKey: p("other-client.key"),
    read: (path) => readFileSync(path),
  };
}

function withOpenssl(dir: string) {
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const ca = (name: string) =>
    ssl("req", "-x509", ...ec, "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "2", "-subj", `/CN=mageflow test ${name}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  const leaf = (name: string, caName: string, cn: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    ssl("x509", "-req", "-in", `${name}.csr`, "-CA", `${caName}.pem`, "-CAkey", `${caName}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`);
  };
  ca("ca");
  ca("other-ca");
  leaf("server", "ca", "localhost", "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  leaf("client", "ca", "mageflow-client", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  leaf("other-client", "other-ca", "mageflow-client", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
}

async function withForge(dir: string) {
  const { default: forge } = await import("node-forge");
  const { pki } = forge;
  let serial = 1;
  const make = (cn: string, issuer: { cert: Forge.pki.Certificate; key: Forge.pki.rsa.PrivateKey } | undefined, extensions: object[]) => {
    const keys = pki.rsa.generateKeyPair(2048);
    const cert = pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = String(serial++).padStart(2, "0");
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 2 * 86_400_000);
    cert.setSubject([{ name: "commonName", value: cn }]);
    cert.setIssuer(issuer ? issuer.cert.subject.attributes : [{ name: "commonName", value: cn }]);
    cert.setExtensions(extensions);
    cert.sign(issuer?.key ?? keys.privateKey, forge.md.sha256.create());
    return { cert, key: keys.privateKey };
  };
  const caExt = [{ name: "basicConstraints", cA: true, critical: true }, { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true }];
  const write = (name: string, c: { cert: Forge.pki.Certificate; key: Forge.pki.rsa.PrivateKey }) => {
    writeFileSync(join(dir, `${name}.pem`), pki.certificateToPem(c.cert));
    writeFileSync(join(dir, `${name}.key`), pki.privateKeyToPem(c.key));
  };
  const ca = make("mageflow test ca", undefined, caExt);
  const other = make("mageflow test other-ca", undefined, caExt);
  write("ca", ca);
  write("other-ca", other);
  write("server", make("localhost", ca, [{ name: "basicConstraints", cA: false }, { name: "extKeyUsage", serverAuth: true }, { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] }]));
  write("client", make("mageflow-client", ca, [{ name: "basicConstraints", cA: false }, { name: "extKeyUsage", clientAuth: true }]));
  write("other-client", make("mageflow-client", other, [{ name: "basicConstraints", cA: false }, { name: "extKeyUsage", clientAuth: true }]));
}
