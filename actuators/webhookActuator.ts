/**
 * WebhookActuator: POSTs each item as JSON to a URL, with a timeout, retries with backoff, a
 * rate limit and a dead-letter channel.
 *
 * Guarantees:
 * - The body is `{ ts, time, value }` (or what `body(item)` returns) as JSON, binary values as
 *   base64; content-type application/json.
 * - A 2xx answer is "ok" (its status is the outcome's resultCode). 5xx, 408 and 429 are retried;
 *   other statuses fail at once (a 4xx will not get better), reason "http_status", with the
 *   status and the start of the answer in the error.
 * - A target that cannot be reached fails with reason "connection" and a message that says why
 *   (e.g. "connection refused: nothing listens there"); a slow one with "timeout". Both are retried.
 *
 * @example
 *   const hook = new WebhookActuator({ url: "http://127.0.0.1:8080/alerts", timeoutMs: 2000, attempts: 5,
 *     rate: { perSecond: 10 }, deadLetter: await rt.channel("dead letters") });
 *   attach(hook, await rt.lookup("alerts"));
 *
 * @param url      where to send
 * @param method   default "POST"
 * @param headers  extra headers (e.g. authorization)
 * @param body     the JSON body for an item (default `{ ts, time, value }`)
 */
import type { Item } from "../channels/index.ts";
import { BaseActuator } from "./baseActuator.ts";
import { ActuatorError } from "./errors.ts";
import { connectionError, eventOf, toJson } from "./actuatorInternals.ts";
import type { ActuatorOptions } from "./types.ts";

export type WebhookActuatorOptions<T> = ActuatorOptions & {
  url: string;
  method?: "POST" | "PUT" | "PATCH";
  headers?: Record<string, string>;
  body?: (item: Item<T>) => unknown;
};

const RETRYABLE_STATUS = new Set([408, 429]);

export class WebhookActuator<T = unknown> extends BaseActuator<T> {
  readonly url: string;
  private readonly method: string;
  private readonly headers: Record<string, string>;
  private readonly body: (item: Item<T>) => unknown;

  constructor(options: WebhookActuatorOptions<T>) {
    super("webhook", options);
    this.url = new URL(options.url).href;
    this.method = options.method ?? "POST";
    this.headers = { "content-type": "application/json", ...options.headers };
    this.body = options.body ?? eventOf;
  }

  protected override async attempt(item: Item<T>, signal: AbortSignal): Promise<number> {
    const body = toJson(this.body(item));
    const what = `${this.method} ${this.url}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url, { method: this.method, headers: this.headers, body, signal });
      text = await res.text();
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw connectionError(what, err);
    }
    if (res.ok) return res.status;
    const retryable = res.status >= 500 || RETRYABLE_STATUS.has(res.status);
    const excerpt = text.length > 200 ? `${text.slice(0, 197)}...` : text;
    throw new ActuatorError("http_status", `${what} answered ${res.status} ${res.statusText}${excerpt ? `: ${excerpt}` : ""}`, { retryable, resultCode: res.status });
  }
}
