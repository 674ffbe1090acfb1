// The admin API never shows a secret (header values, URL passwords, query credentials, tokens as
// user names, key hashes), and an item sent back whole as it was read keeps them.
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../auth/api-key.js';
import { createRuntime } from '../../runtime.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';

describe('admin API', () => {
  // `${env:…}` puts secrets in header values and URL passwords; the admin API showed them (a
  // deployment's upstream token, a database or moderation password) to every admin key.
  it('never shows header values or URL passwords, and an item sent back whole keeps them', async () => {
    const ADMIN = 'mr-redaction-admin-0123456789';
    const rt = await createRuntime(
      testConfig({
        auth: {
          mode: 'keys',
          keys: [{ id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true, scopes: ['*'] }],
        },
        deployments: [
          simDeployment('big', { headers: { 'x-org-token': 'tok-SECRET' } }),
          simDeployment('mid'),
          simDeployment('small'),
        ],
        contentFilter: {
          enabled: true,
          moderationUrl: 'https://mod:pw-SECRET@moderation.example/v1/moderations',
        },
      }),
    );
    try {
      const admin = { authorization: `Bearer ${ADMIN}` };
      const get = (url: string) => rt.app.inject({ method: 'GET', url, headers: admin });
      const send = (method: 'PUT' | 'PATCH' | 'POST', url: string, payload: object) =>
        rt.app.inject({ method, url, headers: admin, payload });
      const big = (await get('/admin/v1/deployments/big')).json();
      expect(big.headers).toEqual({ 'x-org-token': '[redacted]' });
      expect((await get('/admin/v1/settings/contentFilter')).json().moderationUrl).toBe(
        'https://mod:[redacted]@moderation.example/v1/moderations',
      );
      for (const url of [
        '/admin/v1/deployments',
        '/admin/v1/settings',
        '/admin/v1/config/versions',
        '/admin/v1/config/versions/1',
      ])
        expect((await get(url)).body).not.toContain('SECRET');
      // Sent back as read (a PUT of the whole item, a PATCH naming the URL): secrets kept.
      const { config_revision: _revision, ...item } = big;
      const put = await send('PUT', '/admin/v1/deployments/big', { ...item, qualityOffset: 0.01 });
      expect(put.statusCode).toBe(200);
      expect(put.body).not.toContain('SECRET');
      const patch = await send('PATCH', '/admin/v1/settings/contentFilter', {
        moderationUrl: 'https://mod:[redacted]@moderation.example/v1/moderations',
      });
      expect(patch.statusCode).toBe(200);
      const live = rt.config.current.config;
      const liveBig = live.deployments.find((d) => d.name === 'big');
      expect(liveBig?.headers).toEqual({ 'x-org-token': 'tok-SECRET' });
      expect(liveBig?.qualityOffset).toBe(0.01);
      expect(live.contentFilter.moderationUrl).toBe(
        'https://mod:pw-SECRET@moderation.example/v1/moderations',
      );
      // The new versions' diffs are shown redacted too.
      expect((await get('/admin/v1/config/versions')).body).not.toContain('SECRET');
      // A header changed or added is a diff entry at `…headers.<name>`: its values are redacted
      // in the version list, the version and a rollback's answer.
      const changed = await send('PATCH', '/admin/v1/deployments/big', {
        headers: { 'x-org-token': 'tok-SECRET-2', 'x-new': 'new-SECRET' },
      });
      expect(changed.statusCode, changed.body).toBe(200);
      const versions = (await get('/admin/v1/config/versions')).json();
      const latest = versions.data[0];
      expect(latest.changes).toEqual(
        expect.arrayContaining([
          {
            path: 'deployments[big].headers.x-org-token',
            before: '[redacted]',
            after: '[redacted]',
          },
          { path: 'deployments[big].headers.x-new', after: '[redacted]' },
        ]),
      );
      expect(JSON.stringify(versions)).not.toContain('SECRET');
      expect((await get(`/admin/v1/config/versions/${latest.version}`)).body).not.toContain(
        'SECRET',
      );
      const back = await send('POST', '/admin/v1/config/rollback', {
        revision: latest.version - 1,
      });
      expect(back.statusCode, back.body).toBe(200);
      expect(back.body).toContain('headers.x-org-token');
      expect(back.body).not.toContain('SECRET');
      // The placeholder where there is no secret to keep (an item cloned under another name, a
      // new header, a URL changed but for its password) is a 400, not sent upstream as text.
      const clone = await send('PUT', '/admin/v1/deployments/big-clone', {
        ...item,
        name: 'big-clone',
      });
      expect(clone.statusCode, clone.body).toBe(400);
      expect(clone.json().error).toMatchObject({
        param: 'headers.x-org-token',
        code: 'invalid_value',
      });
      expect(clone.json().error.message).toContain('placeholder');
      const newHeader = await send('PATCH', '/admin/v1/deployments/big', {
        headers: { 'x-other': '[redacted]' },
      });
      expect(newHeader.statusCode).toBe(400);
      expect(newHeader.json().error.param).toBe('headers.x-other');
      const movedUrl = await send('PATCH', '/admin/v1/settings/contentFilter', {
        moderationUrl: 'https://mod:[redacted]@other.example/v1/moderations',
      });
      expect(movedUrl.statusCode).toBe(400);
      expect(movedUrl.json().error.param).toBe('moderationUrl');
      expect(rt.config.current.config.deployments.some((d) => d.name === 'big-clone')).toBe(false);
    } finally {
      await rt.close();
    }
  });

  // Security audit F4 (2026-12-06): a token in a URL's query or as its user name, and the keys'
  // hashes in the config versions, were shown to every admin key.
  it('hides URL query credentials, a token as user name and key hashes; sent back whole, kept', async () => {
    const ADMIN = 'mr-redaction-admin2-0123456789';
    const queryUrl = 'https://upstream.example/v1?api-version=1&api-key=q-SECRET&sig=s-SECRET';
    const userUrl = 'https://tokSECRETabcdefghijklmnop@upstream.example/v1';
    const rt = await createRuntime(
      testConfig({
        auth: {
          mode: 'keys',
          keys: [{ id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true, scopes: ['*'] }],
        },
        deployments: [
          simDeployment('big', { provider: 'openai', baseUrl: queryUrl }),
          simDeployment('mid', { provider: 'openai', baseUrl: userUrl }),
          simDeployment('small'),
        ],
      }),
    );
    try {
      const admin = { authorization: `Bearer ${ADMIN}` };
      const get = (url: string) => rt.app.inject({ method: 'GET', url, headers: admin });
      const big = (await get('/admin/v1/deployments/big')).json();
      expect(big.baseUrl).toBe(
        'https://upstream.example/v1?api-version=1&api-key=[redacted]&sig=[redacted]',
      );
      expect((await get('/admin/v1/deployments/mid')).json().baseUrl).toBe(
        'https://[redacted]@upstream.example/v1',
      );
      const hash = hashApiKey(ADMIN);
      for (const url of ['/admin/v1/deployments', '/admin/v1/config/versions/1']) {
        const body = (await get(url)).body;
        expect(body).not.toContain('SECRET');
        expect(body).not.toContain(hash);
      }
      const { config_revision: _revision, ...item } = big;
      const put = await rt.app.inject({
        method: 'PUT',
        url: '/admin/v1/deployments/big',
        headers: admin,
        payload: { ...item, qualityOffset: 0.02 },
      });
      expect(put.statusCode, put.body).toBe(200);
      expect(rt.config.current.config.deployments.find((d) => d.name === 'big')?.baseUrl).toBe(
        queryUrl,
      );
    } finally {
      await rt.close();
    }
  });
});
