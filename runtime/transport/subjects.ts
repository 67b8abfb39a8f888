/**
 * The subject scheme: every runtime of a namespace talks on `pts.<ns>.>`.
 *
 *   pts.<ns>.ch.<token>.info    lookup: who hosts the channel, its codec and stats
 *   pts.<ns>.ch.<token>.get     reads and waits (request/reply)
 *   pts.<ns>.ch.<token>.put     puts: request/reply for acknowledged puts, publish for fire-and-forget
 *   pts.<ns>.ch.<token>.items   live items, published by the host as they are put
 *   pts.<ns>.hosts              every host answers with the channels it hosts
 *
 * <token> is nameToken(name) (runtime/token.ts): any channel name becomes one token made of
 * [A-Za-z0-9_-~], so spaces, dots, '*' and '>' can never become wildcards or extra levels.
 */
import { nameToken } from "../token.ts";

export type ChannelSubjects = { info: string; get: string; put: string; items: string };

export function channelSubjects(namespace: string, channel: string): ChannelSubjects {
  const base = `pts.${namespace}.ch.${nameToken(channel)}`;
  return { info: `${base}.info`, get: `${base}.get`, put: `${base}.put`, items: `${base}.items` };
}

export function hostsSubject(namespace: string): string {
  return `pts.${namespace}.hosts`;
}
