// Responses input → chat: function outputs given as content parts.
import { describe, expect, it } from 'vitest';
import { convertInput } from './responses-convert.js';

const call = { type: 'function_call', call_id: 'call_1', name: 'screenshot', arguments: '{}' };

describe('convertInput: function_call_output parts', () => {
  it('text parts become the tool message text (they reached the model as their JSON)', () => {
    const messages = convertInput([
      call,
      {
        type: 'function_call_output',
        call_id: 'call_1',
        output: [
          { type: 'input_text', text: '20C' },
          { type: 'input_text', text: 'sunny' },
        ],
      },
    ]);
    expect(messages[1]).toEqual({ role: 'tool', tool_call_id: 'call_1', content: '20C\nsunny' });
    expect(messages).toHaveLength(2);
  });

  it('images follow the tool messages in one user message, each under a line naming its call', () => {
    const image = 'data:image/png;base64,iVBORw0KGgo=';
    const messages = convertInput([
      call,
      { ...call, call_id: 'call_2' },
      {
        type: 'function_call_output',
        call_id: 'call_1',
        output: [
          { type: 'input_text', text: 'taken' },
          { type: 'input_image', image_url: image },
        ],
      },
      { type: 'function_call_output', call_id: 'call_2', output: 'no image' },
      { role: 'user', content: 'What is on it?' },
    ]);
    expect(messages.slice(1)).toEqual([
      { role: 'tool', tool_call_id: 'call_1', content: 'taken' },
      { role: 'tool', tool_call_id: 'call_2', content: 'no image' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Attached to the result of tool call call_1:' },
          { type: 'image_url', image_url: { url: image, detail: 'auto' } },
        ],
      },
      { role: 'user', content: 'What is on it?' },
    ]);
  });
});
