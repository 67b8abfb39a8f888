/**
 * Backoff and retry: exponential delays with jitter, for reconnecting sources and retrying
 * actuators and NATS requests.
 *
 * Guarantees: delays grow from initialMs by `factor` up to maxMs; jitter spreads each delay
 * uniformly over ±jitter of itself so that many clients do not retry in lockstep; `retry`
 * stops at its attempt limit or when its signal aborts, and rethrows the last error.
 *
 * @example
 *   await retry(() => post(event), { attempts: 5, backoff: { initialMs: 100 } });
 */
export type BackoffOptions = { initialMs?: number; maxMs?: number; factor?: number; jitter?: number };

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 100;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0.2;
  }

  /** The delay before the next attempt, in ms. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt++);
    return Math.max(0, base * (1 + this.jitter * (2 * Math.random() - 1)));
  }

  /** After a success: the next failure starts again from initialMs. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

/** Resolves after ms, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export type RetryOptions = {
  /** Attempts in all, the first included. Default 3. */
  attempts?: number;
  backoff?: BackoffOptions;
  signal?: AbortSignal;
  /** Whether an error is worth another attempt. Default: every error. */
  retryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
};

/** Calls fn until it succeeds or the attempts run out; rethrows the last error. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  const backoff = new Backoff(options.backoff);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || options.signal?.aborted || (options.retryable && !options.retryable(err))) throw err;
      const delay = backoff.next();
      options.onRetry?.(err, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
