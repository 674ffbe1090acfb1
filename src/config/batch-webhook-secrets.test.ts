// A config file's batch webhooks need their signing secrets in the environment it is loaded in:
// unset, empty or malformed, the file is refused naming the webhook and the variable (never the
// secret). Changes validated already substituted (the admin API's) do not look for them. With no
// request log, the outbox is in memory: the config says so in a warning (logged at start-up, shown
// by check-config).
import { describe, expect, it } from 'vitest';
import { testConfigInput } from '../../test/helpers/test-config.js';
import { parseConfig, parseConfigText } from './load-config.js';

const SECRET = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;

const text = JSON.stringify(
  testConfigInput({
    batches: {
      webhooks: [
        { url: 'https://hooks.example.com/a', secretEnv: 'HOOK_A' },
        { url: 'https://hooks.example.com/b', secretEnv: 'HOOK_B', events: ['batch.failed'] },
      ],
    },
  }),
);

describe('batches.webhooks secrets', () => {
  it('loads when each variable holds a whsec_ secret; events default to all four', () => {
    const { config } = parseConfigText(text, 'c.json', { HOOK_A: SECRET, HOOK_B: SECRET });
    expect(config.batches.webhooks[0]).toEqual({
      url: 'https://hooks.example.com/a',
      secretEnv: 'HOOK_A',
      events: ['batch.completed', 'batch.failed', 'batch.cancelled', 'batch.expired'],
    });
    expect(config.batches.webhookAttempts).toBe(8);
  });

  it('refuses the file naming each unset, empty or malformed variable', () => {
    const load = (env: NodeJS.ProcessEnv) => () => parseConfigText(text, 'c.json', env);
    expect(load({ HOOK_A: SECRET })).toThrow(
      /batches\.webhooks\[1\]\.secretEnv: the environment variable HOOK_B is not set or empty/,
    );
    expect(load({ HOOK_A: '', HOOK_B: SECRET })).toThrow(/HOOK_A is not set or empty/);
    for (const bad of ['plain-password', 'whsec_not base64!', `whsec_${'QUJD'}`]) {
      const err = (() => {
        try {
          load({ HOOK_A: SECRET, HOOK_B: bad })();
        } catch (e) {
          return (e as Error).message;
        }
      })();
      expect(err).toMatch(/HOOK_B does not hold a signing secret/);
      expect(err).not.toContain(bad);
    }
  });

  it('a config validated without an environment (admin changes) is not refused for them', () => {
    expect(() => parseConfig(JSON.parse(text), {})).not.toThrow();
  });

  it('warns that the outbox is in memory when there is no request log', () => {
    const outboxWarnings = (input: Parameters<typeof testConfigInput>[0]) =>
      parseConfig(testConfigInput(input), {}).warnings.filter((w) => w.startsWith('batches.'));
    const webhooks = [{ url: 'https://hooks.example.com/a', secretEnv: 'HOOK_A' }];
    expect(outboxWarnings({ batches: { webhooks } })).toEqual([
      'batches.webhooks: with requestLog.kind "none" the webhook outbox (and the batches) are kept in memory: deliveries not yet made are lost when this process restarts, and no other replica sends them. Use requestLog.kind "sqlite" or "postgres" to keep them.',
    ]);
    // Kept in a store, no webhooks, or no batches run here: nothing to say.
    expect(
      outboxWarnings({ batches: { webhooks }, requestLog: { kind: 'sqlite', sqlitePath: 'x.db' } }),
    ).toEqual([]);
    expect(outboxWarnings({})).toEqual([]);
    expect(outboxWarnings({ batches: { webhooks, enabled: false } })).toEqual([]);
  });
});
