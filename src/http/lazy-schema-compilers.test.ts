import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazySchemaCompilers } from './lazy-schema-compilers.js';

// The app's Fastify takes these factories so that Ajv and fast-json-stringify load only when a
// route declares a schema; such a route must still be validated and serialised as by default.
describe('lazySchemaCompilers', () => {
  it('validates a body and serialises a reply as Fastify does by default', async () => {
    const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers } });
    app.post(
      '/echo',
      {
        schema: {
          body: {
            type: 'object',
            required: ['n'],
            properties: { n: { type: 'integer', minimum: 1 } },
          },
          headers: { type: 'object', required: ['x-tenant'] },
          response: {
            200: { type: 'object', properties: { twice: { type: 'integer' } } },
          },
        },
      },
      (request) => ({ twice: (request.body as { n: number }).n * 2, secret: 'dropped' }),
    );
    const post = (body: unknown, headers: Record<string, string> = { 'x-tenant': 't' }) =>
      app.inject({ method: 'POST', url: '/echo', payload: body as object, headers });

    const ok = await post({ n: 21 });
    expect(ok.statusCode).toBe(200);
    // The response schema leaves out the field it does not name.
    expect(ok.json()).toEqual({ twice: 42 });
    const bad = await post({ n: 0 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('body/n must be >= 1');
    const noHeader = await post({ n: 1 }, {});
    expect(noHeader.statusCode).toBe(400);
    expect(noHeader.json().message).toBe("headers must have required property 'x-tenant'");
    await app.close();
  });
});
