// SessionItems (realtime-items.ts): the ids a realtime session's references may name. The client's
// own ids are known at once but kept only among the last 256 the upstream has not stated (so
// items the upstream refuses cannot grow the router's memory), and not at all past 512 characters;
// the upstream's are kept until it deletes them.
import { describe, expect, it } from 'vitest';
import { DEFAULT_AUDIO_RATES } from './realtime-audio.js';
import { SessionItems } from './realtime-items.js';

const rates = DEFAULT_AUDIO_RATES;
const item = (id: string, text = 'four') => ({
  id,
  type: 'message',
  role: 'user',
  content: [{ type: 'input_text', text }],
});

describe('SessionItems', () => {
  it("keeps the client's ids among the last 256 not stated, the upstream's until deleted", () => {
    const items = new SessionItems();
    items.noteSent(item('stated', 'x'.repeat(40)), rates);
    items.note(item('stated'), rates);
    for (let i = 0; i < 300; i++) items.noteSent(item(`sent_${i}`), rates);
    items.noteSent(item('x'.repeat(513)), rates);
    expect(items.has('sent_43')).toBe(false);
    expect(items.has('sent_44')).toBe(true);
    expect(items.has('sent_299')).toBe(true);
    expect(items.has('x'.repeat(513))).toBe(false);
    // Stated after it was sent: the larger count of each kind (the client's text is longer).
    expect(items.get('stated', rates)).toEqual({ textTokens: 10, audioTokens: 0 });
    expect(items.delete('stated', rates)).toEqual({ textTokens: 10, audioTokens: 0 });
    expect(items.has('stated')).toBe(false);
  });
});
