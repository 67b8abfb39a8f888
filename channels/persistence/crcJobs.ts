/**
 * crcJobs: hands large buffers of checkpoint records to the crc worker (crcWorker.js), which
 * sets their checksums on another core while this thread goes on taking puts. Checksums were
 * about a quarter of this thread's time per checkpoint-mode put (about 0.35 µs per 256-byte
 * record); buffers go to it as they fill, so a checkpoint finds most of its checksums set.
 *
 * Guarantees: a promise from `crcsAhead` resolves true only once every record in the bytes given
 * has its checksum set, and false when the worker could not set them (it failed to start or
 * died): the caller then sets them itself. Jobs complete in the order sent, and callers rely on
 * it: a buffer posted again (a checkpoint retried) is free once its newest job is done, its
 * older jobs being done before it. So there is one worker, never a pool. It keeps the process
 * alive only while it has jobs, and serves every runtime of the process. Should it die, a
 * warning says so once, and checksums are set on the calling thread from then on.
 *
 * @example
 *   const crcsSet = crcsAhead(buffer, used);                // undefined: set them yourself
 *   if (!(crcsSet && (await crcsSet))) setRecordCrcs(buffer, used);
 */
import { Worker } from "node:worker_threads";

/**
 * Smaller runs are left to the caller: a job's round trip through the worker costs about as
 * much as setting the checksums of this many bytes of records here.
 */
export const MIN_CRC_JOB = 64 * 1024;

type CrcReply = { id: number; ok: boolean };

let worker: Worker | undefined;
let broken = false;
let nextId = 0;
const waiting = new Map<number, (ok: boolean) => void>();

/**
 * Has the worker set the checksums of the whole records in bytes [0, length) of `bytes`, which
 * the caller leaves alone until the promise settles. Undefined when the worker takes no job:
 * `bytes` is not on a SharedArrayBuffer, the run is too small, or the worker is broken.
 */
export function crcsAhead(bytes: Buffer, length: number): Promise<boolean> | undefined {
  if (length < MIN_CRC_JOB || !(bytes.buffer instanceof SharedArrayBuffer)) return undefined;
  const w = crcWorker();
  if (!w) return undefined;
  const id = nextId++;
  const done = new Promise<boolean>((resolve) => waiting.set(id, resolve));
  if (waiting.size === 1) w.ref();
  w.postMessage({ id, buffer: bytes.buffer, offset: bytes.byteOffset, length });
  return done;
}

/** A SharedArrayBuffer-backed buffer, which crcsAhead can hand to the worker. */
export function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

function crcWorker(): Worker | undefined {
  if (worker || broken) return worker;
  let w: Worker;
  try {
    // No execArgv: the worker is plain JavaScript and needs no loader (a tsx --import would
    // cost it a hooks thread and a few hundred milliseconds).
    w = new Worker(new URL("./crcWorker.js", import.meta.url), { execArgv: [] });
  } catch {
    broken = true;
    return undefined;
  }
  w.unref();
  w.on("message", (m: CrcReply) => {
    const resolve = waiting.get(m.id);
    waiting.delete(m.id);
    if (waiting.size === 0) w.unref();
    resolve?.(m.ok);
  });
  const fail = (why: unknown): void => {
    if (!broken) process.emitWarning(`the PTS crc worker stopped (${String(why)}); record checksums are computed on the main thread from now on`, "PtsCrcWorkerWarning");
    broken = true;
    worker = undefined;
    for (const resolve of waiting.values()) resolve(false);
    waiting.clear();
  };
  w.on("error", fail);
  w.on("exit", (code) => fail(`exit code ${code}`));
  worker = w;
  return w;
}
