// The events of a streamed background response while it runs (background-responses.ts): the first
// `maxEvents` (the head) and the terminal one are kept, in memory and in the store, so any replica
// can replay them; the latest events past the head (the tail, up to twice `maxEvents`, in memory
// only) serve followers on the replica running it while it runs. Once it has ended, what a resume
// gets is what the store keeps (`keptAfter`), on whichever replica it comes to.
import { TERMINAL_EVENTS, eventType, sequenceOf, withSequence } from './background-shapes.js';

export class RunEvents {
  /** Events produced so far (the next sequence number). */
  produced = 0;
  /** The terminal event, once there is one. */
  terminal: { seq: number; data: string } | undefined;
  private readonly head: string[] = [];
  private tail: string[] = [];
  private tailStart = 0;
  /** How many head events, and whether the terminal one, the store has. */
  private storedHead = 0;
  private terminalStored = false;

  constructor(private readonly maxEvents: number) {}

  /** Adds the next event (its `sequence_number` made its position); its sequence number. */
  add(data: string): number {
    const seq = this.produced++;
    const fixed = sequenceOf(data) === seq ? data : withSequence(data, seq);
    if (seq < this.maxEvents) this.head.push(fixed);
    else {
      if (this.tail.length === 0) this.tailStart = seq;
      this.tail.push(fixed);
      if (this.tail.length > 2 * this.maxEvents) {
        const dropped = this.tail.length - this.maxEvents;
        this.tail = this.tail.slice(dropped);
        this.tailStart += dropped;
      }
    }
    if (TERMINAL_EVENTS.has(eventType(fixed))) this.terminal = { seq, data: fixed };
    return seq;
  }

  /** The event `seq` if it is held here; else (a follower fell behind) undefined. */
  at(seq: number): string | undefined {
    if (seq < this.head.length) return this.head[seq];
    return seq >= this.tailStart ? this.tail[seq - this.tailStart] : undefined;
  }

  /** The kept events after sequence number `after`: those of the head, then the terminal one;
   * the same as the store has once they are written (`store`). */
  keptAfter(after: number): string[] {
    const kept = this.head.slice(Math.max(after + 1, 0));
    const terminal = this.terminal;
    if (terminal && terminal.seq >= this.maxEvents && terminal.seq > after)
      kept.push(terminal.data);
    return kept;
  }

  /** The oldest event held past the head (where a follower that fell behind goes on). */
  oldestHeld(): number {
    return this.tailStart;
  }

  /** How many kept events the store does not have yet. */
  unstored(): number {
    return this.head.length - this.storedHead + (this.terminalUnstored() ? 1 : 0);
  }

  /** Writes the kept events the store lacks, as contiguous stretches from a sequence number. */
  async store(append: (first: number, events: string[]) => Promise<void>): Promise<void> {
    const from = this.storedHead;
    const pending = this.head.slice(from);
    if (pending.length > 0) await append(from, pending);
    this.storedHead = from + pending.length;
    const terminal = this.terminal;
    if (terminal && this.terminalUnstored()) {
      await append(terminal.seq, [terminal.data]);
      this.terminalStored = true;
    }
  }

  private terminalUnstored(): boolean {
    return (
      this.terminal !== undefined && this.terminal.seq >= this.maxEvents && !this.terminalStored
    );
  }
}
