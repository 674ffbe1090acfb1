// A config file change the router refuses says why in the log at once (docs/operations.md: "refused
// and the running config kept, with the reason in the log"), not when 4 KB of log have gathered
// or the server exits: the built server, its log read from its standard output.
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

let server: SpawnedServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Resolves once the server's output holds `text`; a generous limit fails the test instead. */
async function waitForOutput(s: SpawnedServer, text: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!s.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`"${text}" never reached the log:\n${s.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('config reload refusal in the log', () => {
  it('logs the reason a changed config file was refused while the server keeps running', async () => {
    const config = testConfigInput({
      server: { host: '127.0.0.1', port: 0, logLevel: 'info' },
      deployments: [simDeployment('a')],
      routers: [{ name: 'model-router', modelSubset: ['a'] }],
    });
    server = await spawnServer(config);
    // An unknown key: the strict schema refuses the whole file.
    writeFileSync(server.configPath, JSON.stringify({ ...config, retrys: 3 }));
    await waitForOutput(server, 'rejected, keeping the running config');
    const refusal = server
      .output()
      .split('\n')
      .find((l) => l.includes('rejected, keeping the running config'));
    expect(refusal).toContain('retrys');
    // The running config still serves.
    const res = await fetch(`${server.baseUrl}/v1/models`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual([
      'model-router',
      'a',
    ]);
  });
});
