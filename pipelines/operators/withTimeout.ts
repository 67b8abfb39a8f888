/**
 * withTimeout: runs an async function with a deadline; past it, the result is abandoned and
 * the call rejects with StageTimeoutError (the function is told through its AbortSignal).
 *
 * @example
 *   const detect = withTimeout(async (frame, signal) => model.run(frame, { signal }), 500);
 */
import { StageTimeoutError } from "../errors.ts";

export function withTimeout<A, R>(fn: (arg: A, signal: AbortSignal) => Promise<R>, timeoutMs: number | undefined, stage = "process"): (arg: A) => Promise<R> {
  if (timeoutMs === undefined) return (arg) => fn(arg, new AbortController().signal);
  return (arg) => {
    const ac = new AbortController();
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new StageTimeoutError(stage, timeoutMs);
        ac.abort(err);
        reject(err);
      }, timeoutMs);
      fn(arg, ac.signal).then(
        (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  };
}
