// A request Node's HTTP parser cannot read gets OpenAI's error envelope on the socket, not
// Fastify's bare `{error, message, statusCode}`, and the server keeps serving.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../test/helpers/build-test-app.js';
import { testConfig } from '../../test/helpers/test-config.js';

const config = testConfig();
let t: Awaited<ReturnType<typeof buildTestApp>>;
let port: number;
beforeAll(async () => {
  t = await buildTestApp(config, simulatedAdapters(config));
  port = Number(new URL(await t.app.listen({ host: '127.0.0.1', port: 0 })).port);
});
afterAll(async () => {
  await t.app.close();
});

/** What the server writes back to `raw` before it closes the connection. */
function send(raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    let got = '';
    socket.on('data', (d) => (got += String(d)));
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
}

function parsed(reply: string): { status: number; body: Record<string, unknown> } {
  const [head, body] = reply.split('\r\n\r\n');
  return {
    status: Number(head!.split(' ')[1]),
    body: JSON.parse(body!) as Record<string, unknown>,
  };
}

describe('a request the HTTP parser cannot read', () => {
  it("gets OpenAI's envelope: oversized headers a 431, broken framing a 400", async () => {
    const big = parsed(
      await send(`GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    );
    expect(big.status).toBe(431);
    expect(big.body).toMatchObject({
      error: { type: 'invalid_request_error', code: 'headers_too_large', param: null },
    });
    const framing = parsed(
      await send('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}'),
    );
    expect(framing.status).toBe(400);
    expect(framing.body).toMatchObject({
      error: { type: 'invalid_request_error', code: 'malformed_request' },
    });
    expect((framing.body.error as { message: string }).message).toContain('Content-Length');
    // And it goes on serving.
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(ok.status).toBe(200);
  });
});

describe('an Expect the server does not meet', () => {
  it("is a 417 in OpenAI's envelope saying what to send (Node's had no body)", async () => {
    const body = '{"model":"model-router","messages":[{"role":"user","content":"hi"}]}';
    const reply = parsed(
      await send(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ),
    );
    expect(reply.status).toBe(417);
    expect(reply.body).toEqual({
      error: {
        message:
          'The Expect header\'s value "200-ok" is not one this server meets: send Expect: 100-continue, or no Expect header.',
        type: 'invalid_request_error',
        param: 'expect',
        code: 'expectation_failed',
      },
    });
  });
});
