// @ts-check
/**
 * The crc worker: a thread that sets the checksums of checkpoint buffers (recordCrcs.js) while
 * the main thread goes on taking puts. crcJobs.ts starts it and sends it jobs; each job names
 * bytes of a SharedArrayBuffer holding whole records, and is answered with its id and whether
 * every record's checksum there is set. Jobs are done in the order sent.
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
      setRecordCrcs(new Uint8Array(job.buffer, job.offset, job.length), job.length);
      port.postMessage({ id: job.id, ok: true });
    } catch {
      // Bytes that are not whole records: the caller sets the checksums itself, and its own
      // attempt reports what is wrong.
      port.postMessage({ id: job.id, ok: false });
    }
  });
}
