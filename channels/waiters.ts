/**
 * WaiterQueue: callers waiting for "an item with ts > afterTs", woken by puts without polling.
 *
 * Waiters are kept sorted by afterTs, so a put at ts wakes exactly a prefix of the queue: every
 * waiter with afterTs < ts. Live consumers all wait after the newest item, so new waiters
 * almost always append at the end. A woken waiter learns only that it should look again:
 * it re-reads the index, which keeps a shared cursor (named consumers) from taking one item
 * twice.
 *
 * Guarantees: every waiter is settled exactly once: woken by a put, timed out, aborted, or
 * failed by close().
 */
type Waiter = {
  afterTs: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
};

export class WaiterQueue {
  private queue: Waiter[] = [];

  get length(): number {
    return this.queue.length;
  }

  /**
   * Waits until wake(ts) is called with ts > afterTs. `timeoutError` and `abortError` build the
   * rejection for a timeout or an abort.
   */
  wait(afterTs: number, timeoutMs: number | undefined, signal: AbortSignal | undefined, timeoutError: () => Error, abortError: (reason: unknown) => Error): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { afterTs, resolve, reject, timer: undefined, signal, onAbort: undefined };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => this.cancel(waiter, timeoutError()), timeoutMs);
      }
      if (signal) {
        waiter.onAbort = () => this.cancel(waiter, abortError(signal.reason));
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.insert(waiter);
    });
  }

  /** Wakes every waiter with afterTs < ts. */
  wake(ts: number): void {
    const q = this.queue;
    if (q.length === 0 || q[0].afterTs >= ts) return;
    let n = 1;
    while (n < q.length && q[n].afterTs < ts) n++;
    const woken = n === q.length ? q : q.slice(0, n);
    this.queue = n === q.length ? [] : q.slice(n);
    for (const w of woken) {
      this.settle(w);
      w.resolve();
    }
  }

  /** Fails every waiter, e.g. when the channel closes. */
  close(err: Error): void {
    const q = this.queue;
    this.queue = [];
    for (const w of q) {
      this.settle(w);
      w.reject(err);
    }
  }

  private insert(w: Waiter): void {
    const q = this.queue;
    if (q.length === 0 || q[q.length - 1].afterTs <= w.afterTs) {
      q.push(w);
      return;
    }
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (q[mid].afterTs <= w.afterTs) lo = mid + 1;
      else hi = mid;
    }
    q.splice(lo, 0, w);
  }

  private cancel(w: Waiter, err: Error): void {
    const i = this.queue.indexOf(w);
    if (i < 0) return;
    this.queue.splice(i, 1);
    this.settle(w);
    w.reject(err);
  }

  private settle(w: Waiter): void {
    if (w.timer !== undefined) clearTimeout(w.timer);
    if (w.onAbort) w.signal!.removeEventListener("abort", w.onAbort);
  }
}
