// @ts-check
/**
 * The seal worker: a thread that sets the checksums of checkpoint buffers (recordCrcs.js)
 * while the main thread goes on taking puts. crcSealer.ts starts it and sends it jobs; each job
 * names bytes of a SharedArrayBuffer holding whole records, and is answered with its id once
 * every record's checksum there is set, or with an error. Jobs are done in the order sent.
 *
 * Plain JavaScript, for the reason recordCrcs.js gives.
 */
import { parentPort } from "node:worker_threads";
import { setRecordCrcs } from "./recordCrcs.js";

/** @typedef {{ id: number; buffer: SharedArrayBuffer; offset: number; length: number }} CrcJob */

const port = parentPort;
if (port) {
  port.on("message", (/** @type {CrcJob} */ job) => {
    try {
      setRecordCrcs(new Uint8Array(job.buffer, job.offset, job.length), 0, job.length);
      port.postMessage({ id: job.id, ok: true });
    } catch (err) {
      port.postMessage({ id: job.id, ok: false, error: String(err) });
    }
  });
}
