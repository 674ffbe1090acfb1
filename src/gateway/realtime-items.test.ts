// SessionItems (realtime-items.ts): the ids a realtime session's references may name, and what of
// the client's items the conversation holds. The client's own ids are known at once but kept only
// among the last 256 the upstream has neither stated nor refused (so items the upstream refuses
// cannot grow the router's memory), and not at all past 512 characters; the upstream's are kept
// until it deletes them. An item the client adds counts in the conversation once the upstream
// states it, and is forgotten when the upstream's `error` names the event that carried it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_AUDIO_RATES } from './realtime-audio.js';
import { SessionItems } from './realtime-items.js';

const rates = DEFAULT_AUDIO_RATES;
const item = (id: string | undefined, text = 'four') => ({
  ...(id === undefined ? {} : { id }),
  type: 'message',
  role: 'user',
  content: [{ type: 'input_text', text }],
});

describe('SessionItems', () => {
  it("keeps the client's ids among the last 256 not stated, the upstream's until deleted", () => {
    const items = new SessionItems();
    items.noteSent(item('stated', 'x'.repeat(40)), rates, 'e0', true);
    // Stated after it was sent: the larger count of each kind (the client's text is longer).
    expect(items.note(item('stated'), rates, 'conversation.item.added')).toEqual({
      textTokens: 10,
      audioTokens: 0,
    });
    for (let i = 0; i < 300; i++) items.noteSent(item(`sent_${i}`), rates, `e${i + 1}`, true);
    items.noteSent(item('x'.repeat(513)), rates, 'long', true);
    expect(items.has('sent_44')).toBe(false);
    expect(items.has('sent_45')).toBe(true);
    expect(items.has('sent_299')).toBe(true);
    expect(items.has('x'.repeat(513))).toBe(false);
    expect(items.get('stated', rates)).toEqual({ textTokens: 10, audioTokens: 0 });
    expect(items.delete('stated', rates)).toEqual({ textTokens: 10, audioTokens: 0 });
    expect(items.has('stated')).toBe(false);
  });

  it('counts an item once the upstream states it, and forgets one whose event it refuses', () => {
    const items = new SessionItems();
    items.noteSent(item('dup', 'x'.repeat(400)), rates, 'e_dup', true);
    items.noteSent(item(undefined, 'y'.repeat(40)), rates, 'e_bad', true);
    items.noteSent(item(undefined, 'z'.repeat(80)), rates, 'e_ok', true);
    // Not deleted from the conversation: never stated, so never counted.
    expect(items.delete('dup', rates)).toBeUndefined();
    items.refused('e_dup');
    items.refused('e_bad');
    expect(items.has('dup')).toBe(false);
    // The upstream names the id-less item it added: the oldest it has not stated or refused.
    expect(items.note(item('item_up_1'), rates, 'conversation.item.added')).toEqual({
      textTokens: 20,
      audioTokens: 0,
    });
    // Its `.done` after its `.added`, and the response's own output items, count nothing more.
    expect(items.note(item('item_up_1'), rates, 'conversation.item.done')).toBeUndefined();
    items.note(
      { id: 'out_1', type: 'message', role: 'assistant', content: [] },
      rates,
      'response.output_item.added',
    );
    expect(items.note(item('out_1'), rates, 'conversation.item.added')).toBeUndefined();
  });
});
