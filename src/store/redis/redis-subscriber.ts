// RedisState's subscriptions (config versions, keys, cool-downs): one connection of their own,
// opened on the first, which queues while reconnecting (ioredis subscribes again on its own) and
// tells when it came back after a drop, so what was published meanwhile can be read again.
import type { Redis } from 'ioredis';
import type { MessageHandler } from '../shared-state.js';

/** The longest a subscription waits to be confirmed while Redis answers commands. */
const SUBSCRIBE_WAIT_MS = 5_000;

export interface RedisSubscriberOptions {
  /** Opens the subscriber connection (queueing while disconnected, retrying forever). */
  open: () => Redis;
  /** Whether Redis answers commands now (the command connection is up). */
  answering: () => boolean;
  /** The longest an unsubscribe waits for Redis's answer. */
  unsubscribeWaitMs: number;
  /** See RedisStateOptions.onResubscribed. */
  onResubscribed: () => void;
}

export class RedisSubscriber {
  private connection: Redis | undefined;
  private readonly handlers = new Map<string, Set<MessageHandler>>();

  constructor(private readonly options: RedisSubscriberOptions) {}

  /** `handler` hears every message on `channel` (the full name, prefixed); returns its undo. */
  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    const sub = this.ensureConnection();
    let set = this.handlers.get(channel);
    if (!set) {
      this.handlers.set(channel, (set = new Set()));
      // While Redis is away the SUBSCRIBE waits in the subscriber's queue and goes out when it
      // connects: wait for it only while Redis answers (and not without end), so a replica
      // starts without Redis.
      const subscribed = sub.subscribe(channel).then(
        () => undefined,
        () => undefined,
      );
      if (this.options.answering()) await withinMs(subscribed, SUBSCRIBE_WAIT_MS);
    }
    set.add(handler);
    return async () => {
      const current = this.handlers.get(channel);
      if (!current) return;
      current.delete(handler);
      if (current.size === 0) {
        this.handlers.delete(channel);
        // Nor does a shutdown wait for Redis: queued while it is away, the UNSUBSCRIBE would wait
        // for it without end (and the handler is gone already).
        const unsubscribed = sub.unsubscribe(channel).then(
          () => undefined,
          () => undefined,
        );
        if (sub.status === 'ready') await withinMs(unsubscribed, this.options.unsubscribeWaitMs);
      }
    };
  }

  /** Drops every handler and the connection. */
  close(): void {
    this.handlers.clear();
    this.connection?.disconnect();
  }

  private ensureConnection(): Redis {
    if (this.connection) return this.connection;
    const sub = this.options.open();
    sub.on('error', () => {});
    let connectedBefore = false;
    sub.on('ready', () => {
      if (!connectedBefore) {
        connectedBefore = true;
        return;
      }
      // ioredis sent the SUBSCRIBEs again as it reconnected: a PING behind them answers once
      // they are in force, so nothing published after the catch-up's reads is missed.
      sub.ping().then(
        () => this.options.onResubscribed(),
        () => {},
      );
    });
    sub.on('message', (channel: string, message: string) => {
      for (const h of this.handlers.get(channel) ?? []) {
        try {
          h(message);
        } catch {
          // A failing handler must not stop the others.
        }
      }
    });
    this.connection = sub;
    return sub;
  }
}

/** Waits for `work`, but no longer than `ms`. */
async function withinMs(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
