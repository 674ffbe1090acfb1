// A function tool and a custom tool with the same name in one request: a 400 naming both
// `tools[i]`, in the OpenAI envelope, before any deployment is called (Chat Completions and the
// Responses API, a namespace's members by their flattened names too).
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { createResponseStore } from '../store/response-store.js';

async function setup() {
  const adapters = Object.fromEntries(
    ['big', 'mid', 'small'].map((n) => [n, fakeAdapter(`${n}-sim`, [{ reply: 'ok' }])]),
  );
  const t = await buildTestApp(testConfig(), adapters, { responses: createResponseStore() });
  const calls = () => Object.values(adapters).reduce((n, a) => n + a.calls.length, 0);
  return { ...t, calls };
}

const params = { type: 'object', properties: {} };

describe('a function tool and a custom tool with the same name', () => {
  it('chat: 400 naming both, before routing; different names pass', async () => {
    const t = await setup();
    const ask = (tools: unknown[]) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }], tools },
      });
    const res = await ask([
      { type: 'function', function: { name: 'read', parameters: params } },
      { type: 'function', function: { name: 'apply_patch', parameters: params } },
      { type: 'custom', custom: { name: 'apply_patch' } },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      message:
        'tools[1] (a function tool) and tools[2] (a custom tool) are both named "apply_patch": a call could not say which is meant. Give one of them another name.',
      type: 'invalid_request_error',
      param: 'tools[2]',
      code: 'invalid_value',
    });
    expect(t.calls()).toBe(0);
    expect(t.records).toHaveLength(0);
    // Custom first: the same two paths, the function named first.
    const reversed = await ask([
      { type: 'custom', custom: { name: 'apply_patch' } },
      { type: 'function', function: { name: 'apply_patch', parameters: params } },
    ]);
    expect(reversed.json().error.message).toMatch(
      /^tools\[1\] \(a function tool\) and tools\[0\] \(a custom tool\)/,
    );
    expect(reversed.json().error.param).toBe('tools[1]');
    const fine = await ask([
      { type: 'function', function: { name: 'apply_patch', parameters: params } },
      { type: 'custom', custom: { name: 'apply_patch_text' } },
    ]);
    expect(fine.statusCode).toBe(200);
  });

  it('Responses: 400 naming both, a namespace member by its path; before routing', async () => {
    const t = await setup();
    const ask = (tools: unknown[]) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/responses',
        payload: { model: 'model-router', input: 'hi', tools },
      });
    const res = await ask([
      { type: 'web_search' },
      { type: 'custom', name: 'exec' },
      { type: 'function', name: 'exec', parameters: params },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      message: expect.stringMatching(
        /^tools\[2\] \(a function tool\) and tools\[1\] \(a custom tool\) are both named "exec"/,
      ),
      type: 'invalid_request_error',
      param: 'tools[2]',
    });
    const inNamespace = await ask([
      { type: 'function', name: 'fs__write', parameters: params },
      { type: 'namespace', name: 'fs', tools: [{ type: 'custom', name: 'write' }] },
    ]);
    expect(inNamespace.statusCode).toBe(400);
    expect(inNamespace.json().error.message).toMatch(
      /^tools\[0\] \(a function tool\) and tools\[1\]\.tools\[0\] \(a custom tool\) are both named "fs__write"/,
    );
    expect(t.calls()).toBe(0);
    const fine = await ask([
      { type: 'function', name: 'exec', parameters: params },
      { type: 'namespace', name: 'fs', tools: [{ type: 'custom', name: 'exec' }] },
    ]);
    expect(fine.statusCode).toBe(200);
  });
});
