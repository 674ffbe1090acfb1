import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { watchedReads } from './watched-reads.js';

const idle = () =>
  new GatewayError({ status: 504, type: 'timeout_error', code: 'idle', message: 'idle' });

/** An iterator whose reads the test settles by hand; none notices an abort (as a stuck adapter). */
function manualIterator() {
  const pending: ((r: IteratorResult<string>) => void)[] = [];
  const iterator: AsyncIterator<string> = {
    next: () => new Promise((resolve) => pending.push(resolve)),
  };
  return { iterator, send: (v: string) => pending.shift()!({ value: v, done: false }) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('watchedReads', () => {
  it('fails a read that waits past the idle deadline, though the upstream read never settles', async () => {
    vi.useFakeTimers();
    const { iterator, send } = manualIterator();
    const controller = new AbortController();
    const reads = watchedReads(iterator, 1_000, controller, idle);
    const first = reads.next();
    vi.advanceTimersByTime(999);
    send('a');
    expect(await first).toEqual({ value: 'a', done: false });
    const second = reads.next().catch((e: unknown) => e);
    vi.advanceTimersByTime(1_000);
    expect(await second).toMatchObject({ code: 'idle' });
    expect(controller.signal.reason).toMatchObject({ code: 'idle' });
    reads.stop();
  });

  it('does not count the time no read was waiting (a slow client)', async () => {
    vi.useFakeTimers();
    const { iterator, send } = manualIterator();
    const controller = new AbortController();
    const reads = watchedReads(iterator, 1_000, controller, idle);
    const first = reads.next();
    send('a');
    await first;
    // The client takes its time before asking for the next chunk.
    vi.advanceTimersByTime(5_000);
    expect(controller.signal.aborted).toBe(false);
    const second = reads.next();
    vi.advanceTimersByTime(999);
    send('b');
    expect(await second).toEqual({ value: 'b', done: false });
    expect(controller.signal.aborted).toBe(false);
    reads.stop();
  });

  it("fails a read in progress with the abort's reason when the attempt is stopped", async () => {
    const { iterator } = manualIterator();
    const controller = new AbortController();
    const reads = watchedReads(iterator, 60_000, controller, idle);
    const read = reads.next().catch((e: unknown) => e);
    const stopped = new GatewayError({ status: 503, type: 'server_error', message: 'stop' });
    controller.abort(stopped);
    expect(await read).toBe(stopped);
    await expect(reads.next()).rejects.toBe(stopped);
    reads.stop();
  });
});
