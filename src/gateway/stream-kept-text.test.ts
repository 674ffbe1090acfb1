// What the router keeps of a streamed answer is bounded (fault audit F10, 2026-12-06): the request
// log's answer text (`requestLog.storeText`) and the answer cache's copy stop at the deployment's
// `maxReplyBytes` characters, the text saying where it was cut, while the client gets the whole
// stream. Before, a 300 MB stream took 1.3 GB of memory and wrote a 100 MB row.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { simDeployment, testConfig } from '../../test/helpers/test-config.js';

describe('a streamed answer longer than the deployment keeps', () => {
  it('reaches the client whole; the log keeps its first maxReplyBytes characters and says so', async () => {
    const parts = ['Hello ', 'world, ', 'this answer ', 'goes on and on.'];
    const config = testConfig({
      deployments: [simDeployment('small', { maxReplyBytes: 16 })],
      routers: [{ name: 'model-router', modelSubset: ['small'] }],
      requestLog: { kind: 'none', storeText: true },
    });
    const t = await buildTestApp(config, { small: fakeAdapter('small', [{ chunks: parts }]) });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        model: 'small',
        stream: true,
        messages: [{ role: 'user', content: 'Tell me a long story.' }],
      },
    });
    expect(res.statusCode).toBe(200);
    const streamed = res.body
      .split('\n\n')
      .filter((b) => b.startsWith('data: {'))
      .map((b) => JSON.parse(b.slice(6)).choices?.[0]?.delta?.content ?? '')
      .join('');
    expect(streamed).toBe(parts.join(''));
    expect(t.records[0]!.answerText).toBe(
      'Hello world, thi\n[cut: the answer is longer than 16 characters]',
    );
  });
});
