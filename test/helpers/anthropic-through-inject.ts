// The official `@anthropic-ai/sdk` client talking to an in-process app through `app.inject()`
// (no socket): its requests, retries off, and its replies as fetch Responses.
import Anthropic from '@anthropic-ai/sdk';
import type { FastifyInstance } from 'fastify';

/** An Anthropic SDK client whose every request is `app.inject()`ed; `sent` collects the bodies. */
export function anthropicThroughInject(
  app: FastifyInstance,
  options: { apiKey?: string; sent?: unknown[] } = {},
): Anthropic {
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (typeof init?.body === 'string') options.sent?.push(JSON.parse(init.body));
    const res = await app.inject({
      method: (init?.method ?? 'GET') as 'POST',
      url: url.pathname + url.search,
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      payload: init?.body as string,
    });
    return new Response(res.rawPayload, {
      status: res.statusCode,
      headers: res.headers as Record<string, string>,
    });
  };
  return new Anthropic({
    baseURL: 'http://router.test',
    apiKey: options.apiKey ?? 'unused',
    maxRetries: 0,
    fetch,
  });
}
