/**
 * BaseActuator: what every actuator shares — per-attempt timeout, retries with backoff, a rate
 * limit, the dead-letter channel, outcomes and latency in `stats()`. An actuator implements one
 * `attempt(item, signal)`; extend it for your own.
 *
 * Guarantees:
 * - `handle(item)` never rejects: it resolves to an Outcome (ok / failed / timed_out /
 *   dead_lettered) with the attempts made and the latency from handle() to the outcome, which
 *   also goes into `latencyHistogram` (the distribution the metrics export).
 * - Each attempt gets `timeoutMs` (and at most 1% more: attempts starting together share a
 *   deadline, deadlines.ts); at the deadline its signal aborts (fetch, child processes and
 *   NATS flushes stop) and the attempt counts as a "timeout" even if it ignores the signal.
 * - An attempt that throws an ActuatorError with `retryable: false` is not retried; any other
 *   failure is retried up to `attempts` in all, with backoff between them.
 * - After the last failure the item goes to `deadLetter` (when given) as a DeadLetter with the
 *   error; if that put fails too, the outcome is "failed" and `stats().deadLetterErrors` counts it.
 * - `close()` aborts attempts in flight (their items end as failed or dead-lettered with reason
 *   "error") and releases what the actuator holds.
 *
 * @example
 *   class SmsActuator extends BaseActuator<Alert> {
 *     constructor() { super("sms", { timeoutMs: 5000, attempts: 5 }); }
 *     protected async attempt(item: Item<Alert>, signal: AbortSignal) {
 *       await sendSms(item.value.text, { signal });   // throw ActuatorError for a typed failure
 *     }
 *   }
 */
import type { Item } from "../channels/index.ts";
import { Backoff, LatencyHistogram, RateLimiter, now, sleep, toIso, type BackoffOptions } from "../runtime/index.ts";
import { Deadlines } from "./deadlines.ts";
import { ActuatorError } from "./errors.ts";
import type { Actuator, ActuatorOptions, ActuatorStats, DeadLetter, FailureReason, Outcome, OutcomeStatus } from "./types.ts";

const FAILURE_REASONS: readonly FailureReason[] = ["timeout", "http_status", "connection", "exit_code", "signal", "spawn", "write", "publish", "put", "encode", "error"];
const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5000 };

export abstract class BaseActuator<T> implements Actuator<T> {
  readonly name: string;
  protected readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffOptions: BackoffOptions;
  private readonly limiter: RateLimiter | undefined;
  private readonly deadLetter: ActuatorOptions["deadLetter"];
  private readonly closing = new AbortController();
  private readonly deadlines: Deadlines;
  private closed: Promise<void> | undefined;
  private readonly counters: Omit<ActuatorStats, "name">;
  readonly latencyHistogram = new LatencyHistogram();

  constructor(kind: string, options: ActuatorOptions = {}) {
    this.name = options.name ?? kind;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.deadlines = new Deadlines(this.timeoutMs, this.closing.signal, () => new ActuatorError("timeout", `${this.name}: no result within ${this.timeoutMs} ms`));
    this.maxAttempts = Math.max(1, options.attempts ?? 3);
    this.backoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.limiter = options.rate ? new RateLimiter(options.rate.perSecond, options.rate.burst) : undefined;
    this.deadLetter = options.deadLetter;
    const failures = {} as Record<FailureReason, number>;
    for (const reason of FAILURE_REASONS) failures[reason] = 0;
    this.counters = {
      handled: 0,
      inFlight: 0,
      outcomes: { ok: 0, failed: 0, timed_out: 0, dead_lettered: 0 },
      failures,
      retries: 0,
      deadLetterErrors: 0,
      latency: { count: 0, sumMs: 0, minMs: 0, maxMs: 0, lastMs: 0 },
    };
  }

  /**
   * One attempt at acting on the item. Resolves on success (optionally with an HTTP status or
   * exit code); throws on failure, preferably an ActuatorError with a reason. Must stop when
   * signal aborts (timeout or close).
   */
  protected abstract attempt(item: Item<T>, signal: AbortSignal): Promise<number | void>;

  /** Releases connections and other resources. Default: nothing. */
  protected async dispose(): Promise<void> {}

  async handle(item: Item<T>): Promise<Outcome> {
    const started = performance.now();
    this.counters.inFlight++;
    const backoff = new Backoff(this.backoffOptions);
    let attempts = 0;
    let failure: ActuatorError;
    for (;;) {
      attempts++;
      if (attempts > 1) this.counters.retries++;
      try {
        if (this.limiter) await this.limiter.take(this.closing.signal);
        const resultCode = await this.timed(item);
        return this.finish({ status: "ok", attempts, latencyMs: performance.now() - started, ...(typeof resultCode === "number" ? { resultCode } : {}) });
      } catch (err) {
        failure = this.closing.signal.aborted ? new ActuatorError("error", `${this.name} was closed before the item was handled`, { cause: err }) : asActuatorError(err);
      }
      if (this.closing.signal.aborted || !failure.retryable || attempts >= this.maxAttempts) break;
      await sleep(backoff.next(), this.closing.signal).catch(() => undefined);
    }
    let status: Exclude<OutcomeStatus, "ok"> = failure.reason === "timeout" ? "timed_out" : "failed";
    if (this.deadLetter && (await this.sendDeadLetter(item, failure, attempts))) status = "dead_lettered";
    const outcome: Outcome = { status, reason: failure.reason, error: failure.message, attempts, latencyMs: performance.now() - started };
    if (failure.resultCode !== undefined) outcome.resultCode = failure.resultCode;
    this.counters.failures[failure.reason]++;
    return this.finish(outcome);
  }

  /** Runs one attempt against its deadline. */
  private timed(item: Item<T>): Promise<number | void> {
    return this.deadlines.run((signal) => this.attempt(item, signal));
  }

  private async sendDeadLetter(item: Item<T>, failure: ActuatorError, attempts: number): Promise<boolean> {
    const at = now();
    const letter: DeadLetter = { actuator: this.name, item: { ts: item.ts, value: item.value }, reason: failure.reason, error: failure.message, attempts, failedAt: toIso(at) };
    try {
      await this.deadLetter!.put(letter, at);
      return true;
    } catch {
      this.counters.deadLetterErrors++;
      return false;
    }
  }

  private finish(outcome: Outcome): Outcome {
    const c = this.counters;
    c.inFlight--;
    c.handled++;
    c.outcomes[outcome.status]++;
    const ms = outcome.latencyMs;
    const l = c.latency;
    l.minMs = l.count === 0 ? ms : Math.min(l.minMs, ms);
    l.maxMs = Math.max(l.maxMs, ms);
    l.count++;
    l.sumMs += ms;
    l.lastMs = ms;
    this.latencyHistogram.observe(ms / 1000);
    return outcome;
  }

  stats(): ActuatorStats {
    const c = this.counters;
    return { name: this.name, ...c, outcomes: { ...c.outcomes }, failures: { ...c.failures }, latency: { ...c.latency } };
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing.abort(new ActuatorError("error", `${this.name} was closed`));
      await this.dispose();
    })();
    return this.closed;
  }
}

function asActuatorError(err: unknown): ActuatorError {
  if (err instanceof ActuatorError) return err;
  return new ActuatorError("error", err instanceof Error ? err.message : String(err), { cause: err });
}
