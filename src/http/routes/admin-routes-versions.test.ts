// The admin API's config versions: each change is a revision (who, what changed), rolled back
// by number; a change with If-Match applies only while the item is as read.
import { describe, expect, it } from 'vitest';
import {
  adminTestApp as setup,
  chatRequest as chat,
} from '../../../test/helpers/admin-test-app.js';

describe('admin API', () => {
  it('rolls back with {"revision": n}; another body is a 400 saying what to send', async () => {
    const t = await setup();
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/config/rollback',
      headers: { authorization: 'Bearer admin' },
      payload: { version: 1 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      param: 'revision',
      message: 'Send {"revision": <number>} to roll back to.',
    });
  });

  it('a revision not in the log is a 404 naming revision and listing the ones there are', async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/routers/model-router',
      headers: admin,
      payload: { routingMode: 'cost' },
    });
    expect(patched.json().config_revision).toBe(2);
    for (const res of [
      await t.app.inject({
        method: 'POST',
        url: '/admin/v1/config/rollback',
        headers: admin,
        payload: { revision: 99 },
      }),
      await t.app.inject({ method: 'GET', url: '/admin/v1/config/versions/99', headers: admin }),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({
        code: 'revision_not_found',
        param: 'revision',
        message: expect.stringContaining(
          'No config revision 99. The revisions kept are 2, 1; GET /admin/v1/config/versions lists them',
        ),
      });
      expect(res.json().error.message).not.toMatch(/\bversion 99\b/);
    }
    expect(t.config.current.routers.get('model-router')?.routingMode).toBe('cost');
  });

  it('PATCH changes the routing mode and subset for the next request, versioned and reversible', async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/routers/model-router',
      headers: admin,
      payload: { routingMode: 'quality', modelSubset: ['big', 'mid'] },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({
      routingMode: 'quality',
      modelSubset: ['big', 'mid'],
      config_revision: 2,
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer user' },
      payload: chat,
    });
    expect(res.headers['x-router-mode']).toBe('quality');
    expect(res.headers['x-router-deployment']).not.toBe('small');

    const versions = await t.app.inject({
      method: 'GET',
      url: '/admin/v1/config/versions',
      headers: admin,
    });
    expect(versions.json().data[0]).toMatchObject({ version: 2, who: 'k-admin' });
    expect(versions.json().data[0].changes.map((c: { path: string }) => c.path)).toContain(
      'routers[model-router].routingMode',
    );

    const back = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/config/rollback',
      headers: admin,
      payload: { revision: 1 },
    });
    expect(back.statusCode).toBe(200);
    expect(t.config.current.routers.get('model-router')?.routingMode).toBe('balanced');
    expect(t.config.current.routers.get('model-router')?.modelSubset).toEqual([
      'big',
      'mid',
      'small',
    ]);
  });

  it('If-Match: a change applies only while the item is as read (ETag); a stale one is a 412 changing nothing', async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    const url = '/admin/v1/routers/model-router';
    const read = await t.app.inject({ url, headers: admin });
    const tag = String(read.headers.etag);
    expect(tag).toMatch(/^"[\w-]+"$/);
    // Another item's change leaves this one's tag as it was (the tag is the item's, not the config's).
    const elsewhere = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/deployments/small',
      headers: admin,
      payload: { region: 'westus' },
    });
    expect(elsewhere.statusCode).toBe(200);
    expect((await t.app.inject({ url, headers: admin })).headers.etag).toBe(tag);
    // Admin A saves with the tag it read: applied, with the new tag.
    const first = await t.app.inject({
      method: 'PATCH',
      url,
      headers: { ...admin, 'if-match': tag },
      payload: { routingMode: 'quality' },
    });
    expect(first.statusCode).toBe(200);
    const newTag = String(first.headers.etag);
    expect(newTag).not.toBe(tag);
    expect((await t.app.inject({ url, headers: admin })).headers.etag).toBe(newTag);
    // Admin B read before A saved: its PATCH, PUT and DELETE are refused, nothing changes.
    const revision = t.config.current.revision;
    for (const [method, payload] of [
      ['PATCH', { modelSubset: ['small'] }],
      ['PUT', { name: 'model-router', modelSubset: ['small'] }],
      ['DELETE', undefined],
    ] as const) {
      const stale = await t.app.inject({
        method,
        url,
        headers: { ...admin, 'if-match': tag },
        ...(payload ? { payload } : {}),
      });
      expect(stale.statusCode, method).toBe(412);
      expect(stale.json().error).toMatchObject({
        code: 'precondition_failed',
        param: 'if-match',
        type: 'invalid_request_error',
      });
      expect(stale.json().error.message).toContain(`its ETag is now ${newTag}`);
      expect(stale.headers.etag).toBe(newTag);
    }
    expect(t.config.current.revision).toBe(revision);
    expect(t.config.current.routers.get('model-router')?.modelSubset).toEqual([
      'big',
      'mid',
      'small',
    ]);
    // Weak form, a list, and "*" match; no header is as before (unconditional).
    const weak = await t.app.inject({
      method: 'PATCH',
      url,
      headers: { ...admin, 'if-match': `"nope", W/${newTag}` },
      payload: { routingMode: 'cost' },
    });
    expect(weak.statusCode).toBe(200);
    const any = await t.app.inject({
      method: 'PATCH',
      url,
      headers: { ...admin, 'if-match': '*' },
      payload: { routingMode: 'balanced' },
    });
    expect(any.statusCode).toBe(200);
    // If-None-Match: * creates only.
    const exists = await t.app.inject({
      method: 'PUT',
      url,
      headers: { ...admin, 'if-none-match': '*' },
      payload: { modelSubset: ['small'] },
    });
    expect(exists.statusCode).toBe(412);
    expect(exists.json().error.param).toBe('if-none-match');
    const created = await t.app.inject({
      method: 'PUT',
      url: '/admin/v1/routers/fresh-router',
      headers: { ...admin, 'if-none-match': '*' },
      payload: { modelSubset: ['small'] },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers.etag).toMatch(/^"[\w-]+"$/);
    // If-Match on an item that is not there is a 412, not a create.
    const absent = await t.app.inject({
      method: 'PUT',
      url: '/admin/v1/routers/not-there',
      headers: { ...admin, 'if-match': '*' },
      payload: { modelSubset: ['small'] },
    });
    expect(absent.statusCode).toBe(412);
    expect(t.config.current.routers.has('not-there')).toBe(false);
    // A header that is no entity tag is a 400 naming it.
    const bad = await t.app.inject({
      method: 'PATCH',
      url,
      headers: { ...admin, 'if-match': 'abc' },
      payload: { routingMode: 'cost' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ param: 'if-match', code: 'invalid_precondition' });
  });
});
