// The request log (`requestLog.storeText`) keeps a prompt as the content filter let it go
// upstream: a pasted credential a rule redacts is redacted there too, and a blocked prompt is not
// kept. The log used to keep the client's text as sent, credential and all.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createRuntime } from '../runtime.js';
import type { RequestRecord } from '../store/request-record.js';
import { testConfigInput } from '../../test/helpers/test-config.js';

const KEY = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';

describe('content filter and the request log', () => {
  it('logs the prompt redacted as it went upstream, and a blocked prompt not at all', async () => {
    const records: RequestRecord[] = [];
    const input = testConfigInput({
      requestLog: { kind: 'none', storeText: true },
      contentFilter: {
        enabled: true,
        rules: [
          { id: 'credentials', kind: 'pii', patterns: ['secret'], action: 'redact' },
          { id: 'project', kind: 'keyword', patterns: ['bluebird'], action: 'block' },
        ],
      },
    });
    const rt = await createRuntime(parseConfig(input, {}).config, {
      recorder: { record: (r) => records.push(r) },
    });
    try {
      const ask = (content: string) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: { model: 'model-router', messages: [{ role: 'user', content }] },
        });
      expect((await ask(`my key is ${KEY}, why is it refused?`)).statusCode).toBe(200);
      expect((await ask(`tell me about bluebird and ${KEY}`)).statusCode).toBe(400);
      expect((await ask('what is 2 + 2?')).statusCode).toBe(200);
      expect(records.map((r) => [r.status, r.promptText])).toEqual([
        [200, 'my key is [redacted:secret], why is it refused?\n'],
        [400, undefined],
        [200, 'what is 2 + 2?\n'],
      ]);
    } finally {
      await rt.close();
    }
  });
});
