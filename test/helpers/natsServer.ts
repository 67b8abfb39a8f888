/**
 * A real nats-server for tests: spawned on a free loopback port, ready once it accepts
 * connections, and stopped when the test says so.
 *
 * `startNatsServer()` runs `nats-server -a 127.0.0.1 -p <free port>` (plus `-js -sd <tmpdir>`
 * with `jetstream: true`) and resolves once a TCP client receives the server's INFO line.
 * - `stop()`: SIGTERM and wait for exit (idempotent); removes the JetStream store dir.
 * - `kill()`: SIGKILL and wait for exit — a crash; the store dir is kept for `restart()`.
 * - `restart()`: stops it if running and starts again on the same port (and store), so clients
 *   can reconnect to the same URL.
 * `untilNoResponders(url, subject)` resolves once the server answers a request on subject with
 * "no responders": after a responder's process is killed, once the server has noticed.
 *
 * @example
 *   const nats = await startNatsServer();
 *   t.teardown(() => nats.stop());
 *   const nc = await connect({ servers: nats.url });
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectNats } from "../../runtime/transport/natsTransport.ts";

export type NatsServerOptions = {
  jetstream?: boolean;
  /** Extra nats-server arguments (auth, cluster routes, TLS); may be a function of the port. */
  args?: string[] | ((port: number) => string[]);
  port?: number;
};

export type NatsServer = {
  readonly url: string;
  readonly port: number;
  /** SIGTERM, wait for exit, remove the JetStream store. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, wait for exit; the store is kept. */
  kill(): Promise<void>;
  /** Start again on the same port (and store) after stop or kill, or bounce a running one. */
  restart(): Promise<void>;
};

const READY_TIMEOUT_MS = 10_000;

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const port = options.port ?? (await freePort());
  const storeDir = options.jetstream ? await mkdtemp(join(tmpdir(), "pts-nats-")) : undefined;
  const extra = typeof options.args === "function" ? options.args(port) : (options.args ?? []);
  const args = ["-a", "127.0.0.1", "-p", String(port), ...(storeDir ? ["-js", "-sd", storeDir] : []), ...extra];
  let child: ChildProcess | undefined;
  let removed = false;

  const launch = async () => {
    const proc = spawn("nats-server", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child = proc;
    const exited = new Promise<never>((_, reject) => {
      proc.once("error", (err) => reject(new Error(`cannot run nats-server (is it installed?): ${err.message}`)));
      proc.once("exit", (code, signal) => reject(new Error(`nats-server exited (${code ?? signal}) before accepting connections:\n${stderr}`)));
    });
    exited.catch(() => undefined);
    await Promise.race([waitForInfo(port), exited]);
  };

  const end = async (signal: NodeJS.Signals) => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    proc.kill(signal);
    await exited;
  };

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    async stop() {
      await end("SIGTERM");
      if (storeDir && !removed) {
        removed = true;
        await rm(storeDir, { recursive: true, force: true });
      }
    },
    kill: () => end("SIGKILL"),
    async restart() {
      await end("SIGTERM");
      removed = false;
      await launch();
    },
  };
}

/** Resolves once a client connecting to port receives nats-server's INFO line. */
async function waitForInfo(port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (await receivesInfo(port)) return;
    if (Date.now() > deadline) throw new Error(`nats-server on port ${port} did not accept connections within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function receivesInfo(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("data", (d: Buffer) => done(d.toString().startsWith("INFO")));
    socket.once("error", () => done(false));
    socket.once("close", () => done(false));
  });
}

/** Resolves once nats-server says nobody listens on subject (bounded: READY_TIMEOUT_MS). */
export async function untilNoResponders(url: string, subject: string): Promise<void> {
  const nats = await connectNats(url);
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const code = await nats.request(subject, new Uint8Array(), 200).then(
        () => "answered",
        (err: unknown) => (err instanceof Error && "code" in err ? String(err.code) : String(err)),
      );
      if (code === "PTS_NATS_NO_RESPONDERS") return;
      if (code !== "answered" && code !== "PTS_NATS_TIMEOUT") throw new Error(`waiting for no responders on ${subject}: ${code}`);
      if (Date.now() > deadline) throw new Error(`something still answers on ${subject} after ${READY_TIMEOUT_MS} ms (last: ${code})`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await nats.close();
  }
}
