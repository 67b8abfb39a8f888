/**
 * The errors of the channels layer. Each has a stable code (listed in the README's error
 * table, which a test keeps in agreement with this file) and a message that says what to do.
 */
import { PtsError, describe } from "../runtime/index.ts";

/** Every code of the channels layer: description and how to solve. Keys equal codes. */
export const CHANNEL_ERROR_CODES = {
  PTS_CHANNEL_NOT_FOUND: {
    description: "lookup() of a name that no runtime hosts.",
    solve: "Create the channel with rt.channel(name) first, or check the name.",
  },
  PTS_DUPLICATE_TIMESTAMP: {
    description: "A put at a timestamp that already holds an item, on a channel with onDuplicate \"reject\" (the default).",
    solve: "Use distinct timestamps, or open the channel with onDuplicate \"replace\" or \"keep-first\".",
  },
  PTS_INVALID_CHANNEL_NAME: {
    description: "A channel name that is not a string, is empty, exceeds 255 UTF-8 bytes, or holds control characters.",
    solve: "Use printable text of 1 to 255 bytes; spaces, dots, '*', '>' and Unicode are fine.",
  },
  PTS_CHANNEL_OPTIONS_MISMATCH: {
    description: "rt.channel(name, options) on an existing channel with a different codec, retain or onDuplicate.",
    solve: "Open the existing channel without options, or with the same ones.",
  },
  PTS_CHANNEL_CLOSED: {
    description: "The channel's runtime was stopped: puts are refused and pending waits end.",
    solve: "Start a new runtime to use the channel again.",
  },
  PTS_WAIT_TIMEOUT: {
    description: "next(afterTs, { timeoutMs }) ended before an item arrived.",
    solve: "Wait longer, or treat it as 'no data yet'.",
  },
  PTS_WAIT_ABORTED: {
    description: "A wait was cancelled through its AbortSignal.",
    solve: "Nothing to fix: the caller asked for it.",
  },
  PTS_ITEM_TOO_LARGE: {
    description: "An item larger than the channel's whole live window (retain.bytes).",
    solve: "Raise retain.bytes, or split the item.",
  },
  PTS_STORE_CORRUPT: {
    description: "A persistent channel's meta or index segment is damaged, of an unknown format version, or belongs to another channel; or its data files have no LRVM state; or a crash interrupted its creation and it is opened without persist. Nothing is read or removed. Damaged item records are skipped and counted instead.",
    solve: "Restore the data directory from a backup; `pts channels --data DIR` shows what is readable.",
  },
  PTS_STORE_RECOVERED: {
    description: "Reported (not thrown) when a persistent channel opens after a crash: uncommitted bytes were cut from its data files' tails and leftover files removed; no committed item was lost.",
    solve: "Nothing to fix: it says that a crash happened, so that one does not go unnoticed.",
  },
  PTS_STORE_FULL: {
    description: "A persistent channel reached a fixed limit of its store (1024 data files, or 64 named consumers).",
    solve: "Set persist.history to drop old data, or use fewer consumers per channel.",
  },
  PTS_CHANNEL_HOSTED_ELSEWHERE: {
    description: "Another runtime on the same NATS namespace already hosts a channel of that name (no split brain: the older host keeps it).",
    solve: "Use rt.lookup(name) to reach the existing channel, or give this one another name or namespace.",
  },
  PTS_CHANNEL_UNAVAILABLE: {
    description: "The runtime hosting a remote channel does not answer (it stopped, crashed, or NATS is reconnecting).",
    solve: "Restart the host (pts serve); the same handle works again once it is back.",
  },
} as const satisfies Record<string, { description: string; solve: string }>;

/** No runtime hosts a channel of that name. */
export class ChannelNotFoundError extends PtsError {
  static readonly code = "PTS_CHANNEL_NOT_FOUND";
  constructor(readonly channel: string, where = "this runtime") {
    super(ChannelNotFoundError.code, `no channel named ${JSON.stringify(channel)} is hosted by ${where}; create it with rt.channel(name) first, or check the name`);
  }
}

/** A put at a timestamp that already holds an item, on a channel whose onDuplicate is "reject". */
export class DuplicateTimestampError extends PtsError {
  static readonly code = "PTS_DUPLICATE_TIMESTAMP";
  constructor(readonly channel: string, readonly ts: number) {
    super(DuplicateTimestampError.code, `channel ${JSON.stringify(channel)} already holds an item at ts ${ts}; use a distinct timestamp, or open the channel with onDuplicate "replace" or "keep-first"`);
  }
}

/** A channel name that is empty, too long, or holds control characters. */
export class InvalidChannelNameError extends PtsError {
  static readonly code = "PTS_INVALID_CHANNEL_NAME";
  constructor(name: unknown, why: string) {
    super(InvalidChannelNameError.code, `invalid channel name ${describe(name)}: ${why}`);
  }
}

/** rt.channel(name, options) on an existing channel with options that differ from its own. */
export class ChannelOptionsMismatchError extends PtsError {
  static readonly code = "PTS_CHANNEL_OPTIONS_MISMATCH";
  constructor(channel: string, option: string) {
    super(ChannelOptionsMismatchError.code, `channel ${JSON.stringify(channel)} already exists with a different ${option}; open it with rt.channel(name) without options, or with the same options`);
  }
}

/** The runtime hosting the channel was stopped; waits in progress are ended with this error. */
export class ChannelClosedError extends PtsError {
  static readonly code = "PTS_CHANNEL_CLOSED";
  constructor(channel: string) {
    super(ChannelClosedError.code, `channel ${JSON.stringify(channel)} is closed because its runtime stopped; start a new runtime to use it again`);
  }
}

/** A wait (next with timeoutMs) that ended before an item arrived. */
export class WaitTimeoutError extends PtsError {
  static readonly code = "PTS_WAIT_TIMEOUT";
  constructor(channel: string, afterTs: number, timeoutMs: number) {
    super(WaitTimeoutError.code, `no item after ts ${afterTs} arrived on channel ${JSON.stringify(channel)} within ${timeoutMs} ms`);
  }
}

/** A wait that was cancelled through its AbortSignal. */
export class WaitAbortedError extends PtsError {
  static readonly code = "PTS_WAIT_ABORTED";
  constructor(channel: string, cause?: unknown) {
    super(WaitAbortedError.code, `a wait on channel ${JSON.stringify(channel)} was aborted`, { cause });
  }
}

/** An item larger than the channel's whole live window (retain.bytes). */
export class ItemTooLargeError extends PtsError {
  static readonly code = "PTS_ITEM_TOO_LARGE";
  constructor(channel: string, size: number, limit: number, what = "retain.bytes") {
    super(ItemTooLargeError.code, `an item of ${size} bytes does not fit channel ${JSON.stringify(channel)}, whose ${what} is ${limit} bytes; raise the limit or split the item`);
  }
}

/** A persistent channel whose stored state is damaged or missing; it is refused rather than guessed at. */
export class StoreCorruptError extends PtsError {
  static readonly code = "PTS_STORE_CORRUPT";
  constructor(channel: string, what: string, advice = "restore the data directory from a backup") {
    super(StoreCorruptError.code, `persistent channel ${JSON.stringify(channel)}: ${what}; ${advice}`);
  }
}

/** What opening a persistent channel cleaned up after a crash: reported through onError, never thrown. */
export class StoreRecoveredError extends PtsError {
  static readonly code = "PTS_STORE_RECOVERED";
  constructor(channel: string, cutBytes: number, orphans: number) {
    super(StoreRecoveredError.code, `persistent channel ${JSON.stringify(channel)} recovered: ${cutBytes} uncommitted bytes cut from data file tails, ${orphans} leftover files removed; a crash left them, and no committed item was lost`);
  }
}

/** A persistent channel at one of its store's fixed limits. */
export class StoreFullError extends PtsError {
  static readonly code = "PTS_STORE_FULL";
  constructor(channel: string, what: string, limit: string) {
    super(StoreFullError.code, `persistent channel ${JSON.stringify(channel)} has no room for more ${what} (${limit})`);
  }
}

/** A channel name already hosted by another runtime on the same namespace. */
export class ChannelHostedElsewhereError extends PtsError {
  static readonly code = "PTS_CHANNEL_HOSTED_ELSEWHERE";
  constructor(channel: string, host: string) {
    super(ChannelHostedElsewhereError.code, `channel ${JSON.stringify(channel)} is already hosted by runtime ${host}; reach it with rt.lookup(name) instead of hosting it twice`);
  }
}

/** A remote channel whose host does not answer now. */
export class ChannelUnavailableError extends PtsError {
  static readonly code = "PTS_CHANNEL_UNAVAILABLE";
  constructor(channel: string, cause?: unknown) {
    super(ChannelUnavailableError.code, `the host of channel ${JSON.stringify(channel)} does not answer (stopped, crashed, or NATS is reconnecting); the handle works again once the host is back`, { cause });
  }
}
