// What makes a logged request multi-turn (the routing data's `multi_turn`).
import { describe, expect, it } from 'vitest';
import { isMultiTurn } from './multi-turn.js';
import type { ChatRequest } from './wire-types.js';

const req = (...roles: string[]) =>
  ({
    messages: roles.map((role) => ({ role, content: `${role} text` })),
  }) as unknown as ChatRequest;

describe('isMultiTurn', () => {
  it('is true with a second user turn or an earlier assistant turn', () => {
    expect(isMultiTurn(req('user', 'assistant', 'user'))).toBe(true);
    expect(isMultiTurn(req('system', 'user', 'user'))).toBe(true);
    // A tool call the model made before this request is an earlier turn.
    expect(isMultiTurn(req('user', 'assistant', 'tool'))).toBe(true);
  });

  it('is false for one user turn, with a system prompt or an answer prefill', () => {
    expect(isMultiTurn(req('user'))).toBe(false);
    expect(isMultiTurn(req('system', 'developer', 'user'))).toBe(false);
    expect(isMultiTurn(req('user', 'assistant'))).toBe(false);
    expect(isMultiTurn(req())).toBe(false);
  });
});
