/**
 * Runtime: hosts channels and finds them by name. `Runtime.start()` with no options is the
 * embedded, in-process default.
 *
 * Guarantees:
 * - Every option of DESIGN.md is accepted by name; an unknown or malformed option fails with
 *   InvalidOptionError: nothing is silently ignored.
 * - `channel(name)` creates or opens: one HostedChannel per name, shared by every handle.
 * - `stop()` is idempotent; it closes every channel, ending waits with ChannelClosedError.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { InvalidOptionError, Metrics, type MetricsOptions, type NatsOptions, type Transport, connectNats, decodeMessage, encodeMessage, hostsSubject, isTimestamp, now, resolveCodec, timestampError } from "../runtime/index.ts";
import { registerRuntimeMetrics } from "./runtimeMetrics.ts";
import { registerLiveView } from "./liveView.ts";
import { ChannelHost } from "./remote/channelHost.ts";
import { RemoteChannel } from "./remote/remoteChannel.ts";
import { ChannelClosedError, ChannelNotFoundError, ChannelOptionsMismatchError, StoreCorruptError, StoreRecoveredError } from "./errors.ts";
import { type ErrorReporter, HostedChannel } from "./hostedChannel.ts";
import { LocalChannel, bindingOf } from "./localChannel.ts";
import { ChannelStore, type OpenReport } from "./persistence/channelStore.ts";
import { Journal } from "./persistence/journal.ts";
import { PersistentChannel, type StagedPut } from "./persistentChannel.ts";
import { assertChannelName } from "./names.ts";
import { type Retention, normalizeRetain } from "./retention.ts";
import { type GroupOptions, StreamGroup } from "./streamGroup.ts";
import type { Channel, ChannelOptions, ChannelStats, DuplicatePolicy, Item, LookupOptions, PersistOptions } from "./types.ts";

export type RuntimeOptions = {
  /** Where persistent channels and LRVM segments live. */
  dataDir?: string;
  /** NATS server URL(s) or options (auth, TLS); absent = embedded, in-process only. */
  nats?: string | string[] | NatsOptions;
  /** Separates deployments on one NATS. Default "default". */
  namespace?: string;
  /** Serve /metrics, /healthz and /readyz there (default 127.0.0.1:9464 when given), or false (the default) for none. */
  metrics?: MetricsOptions | false;
  /** Where errors of triggers and background work go. Default: a process warning. */
  onError?: ErrorReporter;
};

const RUNTIME_KEYS = new Set(["dataDir", "nats", "namespace", "metrics", "onError"]);
const CHANNEL_KEYS = new Set(["retain", "persist", "codec", "onDuplicate"]);
const LOOKUP_KEYS = new Set(["from", "consumer", "codec", "ack", "timeoutMs"]);
const DUPLICATE_POLICIES: readonly DuplicatePolicy[] = ["reject", "replace", "keep-first"];
const NAMESPACE = /^[A-Za-z0-9_-]{1,64}$/;

function defaultReporter(err: unknown, context: string): void {
  process.emitWarning(`PTS: error in ${context}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
}

export class Runtime {
  readonly namespace: string;
  private readonly hosted = new Map<string, HostedChannel<unknown>>();
  private readonly reportError: ErrorReporter;
  private stopped = false;
  /** What opening each persistent channel found: bytes cut from torn tails, leftovers removed. */
  readonly recovered = new Map<string, OpenReport>();

  private readonly opening = new Map<string, Promise<HostedChannel<unknown>>>();

  private readonly host: ChannelHost | undefined;
  private readonly remotes = new Set<RemoteChannel<unknown>>();
  /** This runtime's id on NATS. */
  readonly id = `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`;

  /** This runtime's metrics registry, when started with `metrics`; layers above register their collectors on it. */
  readonly metrics: Metrics | undefined;
  /** Where /metrics is served, when it is. */
  metricsAddress: { host: string; port: number; url: string } | undefined;

  private constructor(
    options: RuntimeOptions,
    private readonly journal: Journal | undefined,
    private readonly transport: Transport | undefined,
  ) {
    this.namespace = options.namespace ?? "default";
    this.reportError = options.onError ?? defaultReporter;
    this.host = transport && new ChannelHost(transport, this.namespace, this.id, this.reportError);
    if (options.metrics) {
      this.metrics = new Metrics();
      registerRuntimeMetrics(this.metrics, () => [...this.hosted.values()], journal, transport);
      registerLiveView(this.metrics, () => [...this.hosted.values()]);
    }
  }

  static async start(options: RuntimeOptions = {}): Promise<Runtime> {
    checkKeys("Runtime.start", options, RUNTIME_KEYS);
    if (options.namespace !== undefined && (typeof options.namespace !== "string" || !NAMESPACE.test(options.namespace))) {
      throw new InvalidOptionError("namespace", options.namespace, "1 to 64 letters, digits, '_' or '-'");
    }
    if (options.onError !== undefined && typeof options.onError !== "function") throw new InvalidOptionError("onError", options.onError, "a function (err, context) => void");
    if (options.dataDir !== undefined && (typeof options.dataDir !== "string" || options.dataDir === "")) throw new InvalidOptionError("dataDir", options.dataDir, "a directory path");
    if (options.metrics !== undefined && options.metrics !== false && (typeof options.metrics !== "object" || options.metrics === null)) {
      throw new InvalidOptionError("metrics", options.metrics, "{ port?, host? } or false");
    }
    const transport = options.nats === undefined ? undefined : await connectNats(options.nats);
    let journal: Journal | undefined;
    try {
      journal = options.dataDir === undefined ? undefined : await Journal.open(options.dataDir);
    } catch (err) {
      await transport?.close();
      throw err;
    }
    const rt = new Runtime(options, journal, transport);
    if (options.metrics) {
      try {
        rt.metricsAddress = await rt.metrics!.serve(options.metrics, () => !rt.stopped && (transport?.connected ?? true));
      } catch (err) {
        await rt.stop();
        throw err;
      }
    }
    return rt;
  }

  /**
   * Creates the channel, or opens it: one this runtime hosts, or a persistent channel stored
   * in the data directory (reopened with everything committed).
   */
  async channel<T = unknown>(name: string, options?: ChannelOptions<T>): Promise<Channel<T>> {
    this.assertRunning(name);
    assertChannelName(name);
    if (options !== undefined) checkKeys("channel", options, CHANNEL_KEYS);
    let hosted = this.hosted.get(name) as HostedChannel<T> | undefined;
    if (hosted) {
      if (options !== undefined) assertSameOptions(hosted, options);
    } else {
      hosted = (await this.open(name, options ?? {}, true)) as HostedChannel<T>;
    }
    return new LocalChannel(hosted, { after: hosted.startAfter("newest") });
  }

  /** A handle on a channel hosted here; ChannelNotFoundError when none has that name. */
  async lookup<T = unknown>(name: string, options: LookupOptions = {}): Promise<Channel<T>> {
    this.assertRunning(name);
    assertChannelName(name);
    checkKeys("lookup", options, LOOKUP_KEYS);
    const hosted = (this.hosted.get(name) ?? (await this.open(name, {}, false))) as HostedChannel<T> | undefined;
    if (!hosted) {
      if (!this.transport) throw new ChannelNotFoundError(name);
      const remote = await RemoteChannel.lookup<T>(this.transport, this.namespace, name, options);
      this.remotes.add(remote as RemoteChannel<unknown>);
      return remote;
    }
    const from = options.from ?? "newest";
    if (options.consumer !== undefined) {
      if (typeof options.consumer !== "string" || options.consumer === "") throw new InvalidOptionError("consumer", options.consumer, "a non-empty string");
      return new LocalChannel(hosted, hosted.consumer(options.consumer, from), options.consumer);
    }
    return new LocalChannel(hosted, { after: hosted.startAfter(from) });
  }

  /** A stream group over handles or channel names (looked up here). */
  async group<A = unknown, D extends Record<string, unknown> = Record<string, unknown>>(
    options: Omit<GroupOptions<A, D>, "anchor" | "dependents"> & {
      anchor: Channel<A> | string;
      dependents: { [K in keyof D]: Channel<D[K]> | string };
    },
  ): Promise<StreamGroup<A, D>> {
    const resolve = async <V>(c: Channel<V> | string): Promise<Channel<V>> => (typeof c === "string" ? this.lookup<V>(c) : c);
    const dependents = {} as { [K in keyof D]: Channel<D[K]> };
    for (const key of Object.keys(options.dependents) as (keyof D)[]) dependents[key] = await resolve(options.dependents[key]);
    return new StreamGroup<A, D>({ ...options, anchor: await resolve(options.anchor), dependents });
  }

  /** The channels this runtime hosts, with their counts and time span. */
  channels(): ChannelStats[] {
    return [...this.hosted.values()].map((h) => h.stats());
  }

  /** The channels of every runtime on the namespace (this one's included), gathered for waitMs. */
  async allChannels(waitMs = 500): Promise<{ host: string; channels: ChannelStats[] }[]> {
    const mine = { host: this.id, channels: this.channels() };
    if (!this.transport) return [mine];
    const replies = await this.transport.requestMany(hostsSubject(this.namespace), encodeMessage({}), waitMs);
    const others = replies.map((r) => decodeMessage<{ host: string; channels: ChannelStats[] }>(r).header).filter((r) => r.host !== this.id);
    return [mine, ...others].sort((a, b) => a.host.localeCompare(b.host));
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * One LRVM transaction for a pipeline stage: the outputs are stored and the input consumer's
   * durable cursor moves to the item taken, together or not at all. A stage that restarts after
   * a crash resumes after the last step that committed: nothing lost, nothing done twice.
   */
  async commitStep<I>(step: { input: Channel<I>; taken: Item<I> | number; outputs: readonly { channel: Channel<unknown>; value: unknown; ts?: number }[] }): Promise<void> {
    const input = bindingOf(step.input);
    if (!input || !(input.hosted instanceof PersistentChannel) || input.consumer === undefined) {
      throw new InvalidOptionError("commitStep.input", step.input.name, "a handle from rt.lookup(name, { consumer }) on a persistent channel of this runtime");
    }
    const after = typeof step.taken === "number" ? step.taken : step.taken.ts;
    if (!isTimestamp(after)) throw timestampError(after);
    const staged: StagedPut[] = [];
    try {
      for (const out of step.outputs) {
        const b = bindingOf(out.channel);
        if (!b || !(b.hosted instanceof PersistentChannel)) throw new InvalidOptionError("commitStep.outputs", out.channel.name, "a persistent channel of this runtime");
        const s = b.hosted.stage(out.value, out.ts ?? now());
        if (s) staged.push(s);
      }
    } catch (err) {
      for (const s of staged) s.failed();
      throw err;
    }
    try {
      await this.journal!.submit({ writes: staged.map((s) => s.write), cursors: [{ store: input.hosted.store, consumer: input.consumer, after }] });
    } catch (err) {
      for (const s of staged) s.failed();
      throw err;
    }
    for (const s of staged) s.done();
  }

  /** Checkpoints every checkpoint-mode channel now; resolves when their puts so far are durable. */
  async checkpoint(): Promise<void> {
    await Promise.all([...this.hosted.values()].map((h) => (h instanceof PersistentChannel ? h.checkpoint() : undefined)));
  }

  /** Names of the persistent channels stored in the data directory. */
  async storedChannels(): Promise<string[]> {
    if (!this.journal) return [];
    return this.journal.storedNames([...this.hosted.keys()]);
  }

  /** Checkpoints persistent channels, closes every channel (pending waits end with ChannelClosedError, iterators end) and the data directory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.allSettled(this.opening.values());
    this.host?.close();
    for (const r of this.remotes) r.close();
    const errors: unknown[] = [];
    for (const h of this.hosted.values()) {
      if (h instanceof PersistentChannel) await h.shutdown().catch((err: unknown) => errors.push(err));
      else h.close();
    }
    await this.journal?.close();
    await this.transport?.close();
    await this.metrics?.close();
    if (errors.length > 0) throw errors[0];
  }

  /** Opens or creates the hosted channel `name`; undefined when absent and `create` is false. */
  private open<T>(name: string, options: ChannelOptions<T>, create: boolean): Promise<HostedChannel<T> | undefined> {
    const inProgress = this.opening.get(name) as Promise<HostedChannel<T>> | undefined;
    if (inProgress) return inProgress;
    const opening = this.create(name, options, create);
    this.opening.set(name, opening as Promise<HostedChannel<unknown>>);
    return opening.finally(() => this.opening.delete(name));
  }

  private async create<T>(name: string, options: ChannelOptions<T>, create: boolean): Promise<HostedChannel<T> | undefined> {
    const onDuplicate = options.onDuplicate ?? "reject";
    if (!DUPLICATE_POLICIES.includes(onDuplicate)) throw new InvalidOptionError("onDuplicate", onDuplicate, DUPLICATE_POLICIES.map((p) => `"${p}"`).join(", "));
    const retention = normalizeRetain(options.retain);
    const persist = options.persist === undefined ? undefined : normalizePersist(options.persist);
    if (persist && !this.journal) throw new InvalidOptionError("persist", options.persist, "a runtime started with dataDir (where persistent channels live)");
    let hosted: HostedChannel<T> | undefined;
    const opened = this.journal ? await ChannelStore.open(this.journal.rvm, this.journal.dataDir, name, codecName(options.codec), persist !== undefined, (ts, file) => this.reportError(new StoreCorruptError(name, `the record at ts ${ts} in ${file} is damaged; it is skipped`), `read of channel ${JSON.stringify(name)}`)) : undefined;
    if (opened) {
      const codec = resolveCodec(options.codec ?? storedCodec(name, opened.store.codecName));
      if (codec.name !== opened.store.codecName) {
        await opened.store.close();
        throw new ChannelOptionsMismatchError(name, `codec (stored: "${opened.store.codecName}")`);
      }
      if (opened.report.cutBytes > 0 || opened.report.orphans > 0) {
        this.reportError(new StoreRecoveredError(name, opened.report.cutBytes, opened.report.orphans), `open of channel ${JSON.stringify(name)}`);
      }
      hosted = new PersistentChannel<T>(name, codec, retention, onDuplicate, this.reportError, opened.store, this.journal!, persist ?? { mode: "sync" });
      this.recovered.set(name, opened.report);
    } else if (create) {
      hosted = new HostedChannel<T>(name, resolveCodec(options.codec), retention, onDuplicate, this.reportError);
    }
    if (!hosted) return undefined;
    if (this.host) {
      try {
        await this.host.serve(hosted as HostedChannel<unknown>);
      } catch (err) {
        if (hosted instanceof PersistentChannel) await hosted.shutdown();
        else hosted.close();
        throw err;
      }
    }
    this.hosted.set(name, hosted as HostedChannel<unknown>);
    return hosted;
  }

  private assertRunning(name: string): void {
    if (this.stopped) throw new ChannelClosedError(name);
  }
}

function checkKeys(where: string, options: object, allowed: Set<string>): void {
  if (typeof options !== "object" || options === null) throw new InvalidOptionError(where, options, "an options object");
  for (const key of Object.keys(options)) {
    if (!allowed.has(key)) throw new InvalidOptionError(`${where}.${key}`, (options as Record<string, unknown>)[key], `one of the known options: ${[...allowed].join(", ")}`);
  }
}

function normalizePersist(p: PersistOptions): PersistOptions {
  if (typeof p !== "object" || p === null) throw new InvalidOptionError("persist", p, '{ mode: "sync" | "checkpoint", everyMs?, history?: { ms?, bytes? } }');
  for (const key of Object.keys(p)) if (!["mode", "everyMs", "history"].includes(key)) throw new InvalidOptionError(`persist.${key}`, (p as Record<string, unknown>)[key], "one of mode, everyMs, history");
  if (p.mode !== "sync" && p.mode !== "checkpoint") throw new InvalidOptionError("persist.mode", p.mode, '"sync" or "checkpoint"');
  if (p.everyMs !== undefined && !(typeof p.everyMs === "number" && p.everyMs > 0)) throw new InvalidOptionError("persist.everyMs", p.everyMs, "a positive number of milliseconds");
  if (p.history !== undefined) {
    if (typeof p.history !== "object" || p.history === null) throw new InvalidOptionError("persist.history", p.history, "{ ms?, bytes? }");
    for (const key of ["ms", "bytes"] as const) {
      const v = p.history[key];
      if (v !== undefined && !(typeof v === "number" && v > 0)) throw new InvalidOptionError(`persist.history.${key}`, v, "a positive number");
    }
  }
  return p;
}

function codecName<T>(spec: ChannelOptions<T>["codec"]): string {
  return resolveCodec(spec).name;
}

/** The codec a stored channel was written with, when it is one PTS knows by name. */
function storedCodec(channel: string, name: string): "json" | "binary" {
  if (name === "json" || name === "binary") return name;
  throw new ChannelOptionsMismatchError(channel, `codec: it was stored with the custom codec "${name}"; pass that codec again`);
}

function assertSameOptions<T>(hosted: HostedChannel<T>, options: ChannelOptions<T>): void {
  if (options.persist !== undefined && (!(hosted instanceof PersistentChannel) || hosted.mode !== options.persist.mode)) throw new ChannelOptionsMismatchError(hosted.name, "persist");
  if (options.codec !== undefined && resolveCodec(options.codec).name !== hosted.codec.name) throw new ChannelOptionsMismatchError(hosted.name, "codec");
  if (options.onDuplicate !== undefined && options.onDuplicate !== hosted.onDuplicate) throw new ChannelOptionsMismatchError(hosted.name, "onDuplicate");
  if (options.retain !== undefined && !sameRetention(normalizeRetain(options.retain), hosted.retention)) throw new ChannelOptionsMismatchError(hosted.name, "retain");
}

function sameRetention(a: Retention, b: Retention): boolean {
  return a.ms === b.ms && a.count === b.count && a.bytes === b.bytes;
}
