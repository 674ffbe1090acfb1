import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { listenServerInRange } from '../../test/helpers/listen-in-range.js';
import { simDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import {
  CallStop,
  callSignalIfMade,
  callStopped,
  copyCall,
  onCallStopped,
  stoppableCall,
} from './call-stop.js';
import { ANONYMOUS, type ChatCall } from './gateway-types.js';

/** The AbortSignals made (each controller's `signal` read for the first time) while counting. */
const made = new Set<AbortSignal>();
class CountingAbortController extends AbortController {
  override get signal(): AbortSignal {
    const signal = super.signal;
    made.add(signal);
    return signal;
  }
}

const CHUNK = (content: string) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

// A loopback OpenAI-compatible upstream that answers at once, JSON or SSE.
const upstream: Server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    if ((JSON.parse(body) as { stream?: boolean }).stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${CHUNK('Hel')}${CHUNK('lo')}data: [DONE]\n\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'c',
        object: 'chat.completion',
        created: 1,
        model: 'up',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      }),
    );
  });
});
let rt: Runtime;

beforeAll(async () => {
  const port = await listenServerInRange(upstream, 47160, 47169);
  const input = testConfigInput({
    deployments: [
      simDeployment('up', {
        provider: 'openai-compatible',
        model: 'up',
        baseUrl: `http://127.0.0.1:${port}/v1`,
        simulation: undefined,
      }),
    ],
    routers: [],
  });
  rt = await createRuntime(parseConfig(input, {}).config);
});

afterAll(async () => {
  await rt?.close();
  await new Promise((resolve) => upstream.close(resolve));
});

afterEach(() => vi.unstubAllGlobals());

const ask = (stream: boolean) =>
  rt.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    payload: { model: 'up', stream, messages: [{ role: 'user', content: 'Hi' }] },
  });

describe('AbortSignals a routed chat request makes', () => {
  // Each costs ≈5 µs to make on Node 20 and ≈2 µs a listener: the request's client-gone stop is
  // heard without one, and the attempt's (which the upstream call needs) is the only one.
  for (const stream of [false, true])
    it(`one, its attempt's (${stream ? 'streamed' : 'JSON'})`, async () => {
      expect((await ask(stream)).statusCode).toBe(200); // warm: pools, lazy modules
      vi.stubGlobal('AbortController', CountingAbortController);
      made.clear();
      const res = await ask(stream);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(stream ? '"lo"' : 'Hello');
      expect(made.size).toBe(1);
    });
});

describe('CallStop', () => {
  // As the HTTP routes build a call (chat-routes.ts).
  const call = (stop: CallStop) =>
    stoppableCall(
      {
        request: { model: 'm', messages: [] },
        endpoint: 'chat',
        auth: ANONYMOUS,
        headers: {},
        requestId: 'r',
      },
      stop,
    );

  it('makes its signal only when read, aborted if the call stopped before', () => {
    const stop = new CallStop();
    const c = call(stop);
    expect(stop.signalIfMade).toBeUndefined();
    expect(callStopped(c)).toBe(false);
    expect(stop.signalIfMade).toBeUndefined();
    stop.stop();
    expect(callStopped(c)).toBe(true);
    expect(c.signal.aborted).toBe(true);
    expect((c.signal.reason as Error).name).toBe('AbortError');
  });

  it('aborts a signal already made, and tells each listener still on once', () => {
    const stop = new CallStop();
    const c = call(stop);
    const signal = c.signal;
    const heard: string[] = [];
    onCallStopped(c, () => heard.push('a'));
    const off = onCallStopped(c, () => heard.push('b'));
    off();
    stop.stop();
    stop.stop();
    expect(signal.aborted).toBe(true);
    expect(heard).toEqual(['a']);
    onCallStopped(c, () => heard.push('late'));
    expect(heard).toEqual(['a', 'late']);
  });

  it('copyCall copies the call without making its signal; the copy stops with it', () => {
    const stop = new CallStop();
    const copy = copyCall(call(stop), { requestId: 'copy', passThrough: true });
    expect(copy).toMatchObject({ requestId: 'copy', passThrough: true, endpoint: 'chat' });
    expect(copy.stop).toBe(stop);
    expect(callSignalIfMade(copy)).toBeUndefined();
    const signal = copy.signal;
    expect(callSignalIfMade(copy)).toBe(signal);
    stop.stop();
    expect(signal.aborted).toBe(true);
    expect(callStopped(copy)).toBe(true);
  });

  it('a call with a plain signal is read through it', () => {
    const controller = new AbortController();
    const c = { signal: controller.signal } as ChatCall;
    let heard = 0;
    onCallStopped(c, () => heard++);
    expect(callStopped(c)).toBe(false);
    controller.abort();
    expect(callStopped(c)).toBe(true);
    expect(heard).toBe(1);
  });
});
