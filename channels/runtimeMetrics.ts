/**
 * The runtime's own metrics — channels, storage (LRVM) and NATS — registered as collectors
 * that read the counters the channels, the journal and the transport already keep, at scrape
 * time (runtime/metrics.ts). Nothing here runs on a put or a get: they count into plain fields
 * (HostedChannel `puts`, `gets`) and, where a put waits for the disk, a LatencyHistogram.
 */
import { type HistogramSamples, LatencyHistogram, type Metrics, type Samples, type Transport } from "../runtime/index.ts";
import type { HostedChannel } from "./hostedChannel.ts";
import { PersistentChannel } from "./persistentChannel.ts";
import type { Journal } from "./persistence/journal.ts";

export function registerRuntimeMetrics(m: Metrics, channels: () => HostedChannel<unknown>[], journal: Journal | undefined, transport: Transport | undefined): void {
  const perChannel = (read: (h: HostedChannel<unknown>) => number | undefined) => (): Samples => {
    const out: [{ channel: string }, number][] = [];
    for (const h of channels()) {
      const v = read(h);
      if (v !== undefined) out.push([{ channel: h.name }, v]);
    }
    return out;
  };
  m.counter("pts_channel_puts_total", "Items put into the channel.", ["channel"], perChannel((h) => h.puts));
  m.counter("pts_channel_gets_total", "Reads answered by the hosting runtime: get() and next() on its handles, and get requests from remote handles.", ["channel"], perChannel((h) => h.gets));
  // Only puts that wait for the disk are worth timing; the others resolve at once. Timing starts
  // at the first scrape that sees the channel, so that nothing is timed that nobody reads.
  m.histogram("pts_channel_put_latency_seconds", "From put() to its resolution, for channels whose puts wait for the disk (persist sync), since the first scrape.", ["channel"], (): HistogramSamples => {
    const out: [{ channel: string }, LatencyHistogram][] = [];
    for (const h of channels()) if (h instanceof PersistentChannel && h.mode === "sync") out.push([{ channel: h.name }, (h.putLatency ??= new LatencyHistogram())]);
    return out;
  });
  m.counter("pts_channel_evicted_total", "Items that left the live window (retention).", ["channel"], perChannel((h) => h.evicted));
  m.gauge("pts_channel_items", "Items in the live window.", ["channel"], perChannel((h) => h.stats().items));
  m.gauge("pts_channel_window_bytes", "Encoded bytes in the live window (channels with retain.bytes).", ["channel"], perChannel((h) => h.stats().bytes ?? undefined));
  m.gauge("pts_channel_stored_items", "Items stored on disk (persistent channels).", ["channel"], perChannel((h) => h.stats().stored?.items));
  m.gauge("pts_channel_stored_bytes", "Bytes of data files on disk (persistent channels).", ["channel"], perChannel((h) => h.stats().stored?.bytes));
  m.counter("pts_channel_corrupt_records_total", "Damaged records found by reads and skipped (persistent channels).", ["channel"], perChannel((h) => h.stats().stored?.corrupt));
  m.gauge("pts_channel_newest_timestamp_seconds", "Timestamp of the newest item, in seconds since the epoch.", ["channel"], perChannel((h) => (h.stats().newest === undefined ? undefined : h.stats().newest! / 1e6)));
  m.gauge("pts_channel_waiters", "Callers waiting for the next item.", ["channel"], perChannel((h) => h.waiting));

  if (journal) {
    const rvm = journal.rvm;
    m.counter("pts_lrvm_commits_total", "LRVM commits, by mode (flush or lazy).", ["mode"], () => [
      [{ mode: "flush" }, rvm.stats.flushCommits],
      [{ mode: "lazy" }, rvm.stats.lazyCommits],
    ]);
    m.histogram("pts_lrvm_fsync_duration_seconds", "Each fdatasync of the LRVM redo log, until it returned.", [], () => [[{}, rvm.stats.syncLatency]]);
    m.counter("pts_lrvm_log_written_bytes_total", "Bytes appended to the LRVM redo log.", [], () => [[{}, rvm.stats.logBytes]]);
    m.gauge("pts_lrvm_log_bytes", "Current size of the LRVM redo log.", [], () => [[{}, rvm.logSize]]);
    m.counter("pts_lrvm_truncations_total", "LRVM log truncations.", [], () => [[{}, rvm.stats.truncations]]);
    m.gauge("pts_lrvm_recovery_seconds", "How long recovery took when the data directory was opened.", [], () => [[{}, rvm.recovery.ms / 1000]]);
    m.gauge("pts_lrvm_recovered_records", "Log records replayed by recovery at open.", [], () => [[{}, rvm.recovery.records]]);
  }
  if (transport) {
    m.gauge("pts_nats_connected", "1 while connected to NATS, 0 while disconnected or reconnecting.", [], () => [[{}, transport.connected ? 1 : 0]]);
    const requests = new LatencyHistogram();
    m.histogram("pts_nats_request_duration_seconds", "NATS requests (lookups, gets, acknowledged puts, waits included) until their answer.", [], () => [[{}, requests]]);
    transport.onRequest = (seconds) => requests.observe(seconds);
  }
}
