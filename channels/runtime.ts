/**
 * Runtime: hosts channels and finds them by name. `Runtime.start()` with no options is the
 * embedded, in-process default.
 *
 * Guarantees:
 * - Every option of DESIGN.md is accepted by name; an option whose part of PTS is not built yet
 *   fails with NotSupportedError, and an unknown or malformed option with InvalidOptionError:
 *   nothing is silently ignored.
 * - `channel(name)` creates or opens: one HostedChannel per name, shared by every handle.
 * - `stop()` is idempotent; it closes every channel, ending waits with ChannelClosedError.
 */
import { InvalidOptionError, NotSupportedError, resolveCodec } from "../runtime/index.ts";
import { ChannelClosedError, ChannelNotFoundError, ChannelOptionsMismatchError } from "./errors.ts";
import { type ErrorReporter, HostedChannel } from "./hostedChannel.ts";
import { LocalChannel } from "./localChannel.ts";
import { assertChannelName } from "./names.ts";
import { type Retention, normalizeRetain } from "./retention.ts";
import { type GroupOptions, StreamGroup } from "./streamGroup.ts";
import type { Channel, ChannelOptions, ChannelStats, DuplicatePolicy, LookupOptions } from "./types.ts";

export type MetricsOptions = { port?: number; host?: string };

export type RuntimeOptions = {
  /** Where persistent channels and LRVM segments live. */
  dataDir?: string;
  /** NATS server URL(s); absent = embedded, in-process only. */
  nats?: string | string[];
  /** Separates deployments on one NATS. Default "default". */
  namespace?: string;
  /** Where /metrics is served, or false for none. */
  metrics?: MetricsOptions | false;
  /** Where errors of triggers and background work go. Default: a process warning. */
  onError?: ErrorReporter;
};

const RUNTIME_KEYS = new Set(["dataDir", "nats", "namespace", "metrics", "onError"]);
const CHANNEL_KEYS = new Set(["retain", "persist", "codec", "onDuplicate"]);
const LOOKUP_KEYS = new Set(["from", "consumer"]);
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

  private constructor(options: RuntimeOptions) {
    this.namespace = options.namespace ?? "default";
    this.reportError = options.onError ?? defaultReporter;
  }

  static async start(options: RuntimeOptions = {}): Promise<Runtime> {
    checkKeys("Runtime.start", options, RUNTIME_KEYS);
    if (options.namespace !== undefined && (typeof options.namespace !== "string" || !NAMESPACE.test(options.namespace))) {
      throw new InvalidOptionError("namespace", options.namespace, "1 to 64 letters, digits, '_' or '-'");
    }
    if (options.onError !== undefined && typeof options.onError !== "function") throw new InvalidOptionError("onError", options.onError, "a function (err, context) => void");
    if (options.dataDir !== undefined) throw new NotSupportedError("dataDir (persistent channels)");
    if (options.nats !== undefined) throw new NotSupportedError("nats (channels across processes over NATS)");
    if (options.metrics !== undefined && options.metrics !== false) throw new NotSupportedError("metrics (the Prometheus /metrics endpoint); pass metrics: false or leave it out");
    return new Runtime(options);
  }

  /** Creates the channel, or opens it if this runtime already hosts it. */
  async channel<T = unknown>(name: string, options?: ChannelOptions<T>): Promise<Channel<T>> {
    this.assertRunning(name);
    assertChannelName(name);
    let hosted = this.hosted.get(name) as HostedChannel<T> | undefined;
    if (hosted) {
      if (options !== undefined) assertSameOptions(hosted, options);
    } else {
      hosted = createHosted(name, options ?? {}, this.reportError);
      this.hosted.set(name, hosted as HostedChannel<unknown>);
    }
    return new LocalChannel(hosted, { after: hosted.startAfter("newest") });
  }

  /** A handle on a channel hosted here; ChannelNotFoundError when none has that name. */
  async lookup<T = unknown>(name: string, options: LookupOptions = {}): Promise<Channel<T>> {
    this.assertRunning(name);
    assertChannelName(name);
    checkKeys("lookup", options, LOOKUP_KEYS);
    const hosted = this.hosted.get(name) as HostedChannel<T> | undefined;
    if (!hosted) throw new ChannelNotFoundError(name);
    const from = options.from ?? "newest";
    if (options.consumer !== undefined) {
      if (typeof options.consumer !== "string" || options.consumer === "") throw new InvalidOptionError("consumer", options.consumer, "a non-empty string");
      return new LocalChannel(hosted, hosted.consumer(options.consumer, from));
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

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Closes every channel; pending waits end with ChannelClosedError, iterators end. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const h of this.hosted.values()) h.close();
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

function createHosted<T>(name: string, options: ChannelOptions<T>, report: ErrorReporter): HostedChannel<T> {
  checkKeys("channel", options, CHANNEL_KEYS);
  if (options.persist !== undefined) throw new NotSupportedError("persist (persistent channels)");
  const onDuplicate = options.onDuplicate ?? "reject";
  if (!DUPLICATE_POLICIES.includes(onDuplicate)) throw new InvalidOptionError("onDuplicate", onDuplicate, DUPLICATE_POLICIES.map((p) => `"${p}"`).join(", "));
  return new HostedChannel<T>(name, resolveCodec(options.codec), normalizeRetain(options.retain), onDuplicate, report);
}

function assertSameOptions<T>(hosted: HostedChannel<T>, options: ChannelOptions<T>): void {
  checkKeys("channel", options, CHANNEL_KEYS);
  if (options.persist !== undefined) throw new NotSupportedError("persist (persistent channels)");
  if (options.codec !== undefined && resolveCodec(options.codec).name !== hosted.codec.name) throw new ChannelOptionsMismatchError(hosted.name, "codec");
  if (options.onDuplicate !== undefined && options.onDuplicate !== hosted.onDuplicate) throw new ChannelOptionsMismatchError(hosted.name, "onDuplicate");
  if (options.retain !== undefined && !sameRetention(normalizeRetain(options.retain), hosted.retention)) throw new ChannelOptionsMismatchError(hosted.name, "retain");
}

function sameRetention(a: Retention, b: Retention): boolean {
  return a.ms === b.ms && a.count === b.count && a.bytes === b.bytes;
}
