/**
 * TLS material for tests, made with `openssl` at test time in a temporary directory: a private
 * CA, a server certificate for 127.0.0.1 and localhost signed by it, and a client certificate
 * signed by it (for mutual TLS). Nothing is checked in, so nothing expires in the repository.
 *
 * `makeTlsFiles()` also makes a second, unrelated CA (`otherCaFile`): a client that trusts only
 * it must refuse the server ("untrusted CA").
 *
 * @example
 *   const tls = await makeTlsFiles();
 *   t.teardown(() => tls.remove());
 *   const conf = tls.serverConfig(); // a nats-server config file enabling mutual TLS
 *   const nats = await startNatsServer({ args: ["-c", conf] });
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export type TlsFiles = {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** A CA that signed nothing here: trusting only it, a client must refuse the server. */
  readonly otherCaFile: string;
  /** Writes a nats-server config enabling TLS (verify: true = mutual TLS); returns its path. */
  serverConfig(options?: { verify?: boolean }): string;
  remove(): Promise<void>;
};

const run = promisify(execFile);

async function openssl(dir: string, args: string[]): Promise<void> {
  try {
    await run("openssl", args, { cwd: dir });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`openssl ${args.join(" ")} failed: ${e.stderr ?? e.message}`);
  }
}

/** A self-signed CA: key and certificate. */
async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.pem`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
}

/** A key and a certificate signed by the CA `ca`, with the extensions in `ext`. */
async function makeLeaf(dir: string, name: string, ca: string, ext: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(dir, ["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.csr`]);
  await openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "2", "-extfile", `${name}.ext`, "-out", `${name}.pem`]);
}

export async function makeTlsFiles(): Promise<TlsFiles> {
  const dir = await mkdtemp(join(tmpdir(), "pts-tls-"));
  try {
    await makeCa(dir, "ca");
    await makeCa(dir, "other-ca");
    await makeLeaf(dir, "server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
    await makeLeaf(dir, "client", "ca", "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n");
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const files = {
    dir,
    caFile: join(dir, "ca.pem"),
    serverCertFile: join(dir, "server.pem"),
    serverKeyFile: join(dir, "server.key"),
    clientCertFile: join(dir, "client.pem"),
    clientKeyFile: join(dir, "client.key"),
    otherCaFile: join(dir, "other-ca.pem"),
  };
  return {
    ...files,
    serverConfig({ verify = true } = {}) {
      const path = join(dir, verify ? "mtls.conf" : "tls.conf");
      const q = (p: string) => JSON.stringify(p);
      writeFileSync(path, `tls {\n  cert_file: ${q(files.serverCertFile)}\n  key_file: ${q(files.serverKeyFile)}\n  ca_file: ${q(files.caFile)}\n  verify: ${verify}\n  timeout: 2\n}\n`);
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
