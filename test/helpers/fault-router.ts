// The router as the chaos suites start it over the loopback fault upstream (`fault-upstream.ts`):
// the whole runtime with its request log in hand, the documented placeholder routing (no artefact:
// the cheapest capable deployment first, so a suite orders its deployments by price), and the four
// inbound APIs a fault is driven through.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load-config.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Clock } from '../../src/core/clock.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { testConfigInput } from './test-config.js';

/**
 * A runtime of `input` (over the test defaults) and every request record it writes. Unless
 * `keepCircuitsClosed: false`, the breaker never opens: a suite's faults count against one circuit
 * and circuits are the subject of their own tests.
 */
export async function startFaultRouter(
  input: Partial<ConfigInput>,
  options: { tmpPrefix: string; clock?: Clock; keepCircuitsClosed?: boolean },
): Promise<{ rt: Runtime; records: RequestRecord[] }> {
  const records: RequestRecord[] = [];
  const config = testConfigInput({
    routing: { modelsDir: mkdtempSync(join(tmpdir(), options.tmpPrefix)) },
    ...(options.keepCircuitsClosed === false
      ? {}
      : { circuitBreaker: { failureThreshold: 1000, windowMs: 60_000, openMs: 60_000 } }),
    ...input,
  });
  const rt = await createRuntime(parseConfig(config, {}).config, {
    ...(options.clock ? { clock: options.clock } : {}),
    recorder: { record: (r: RequestRecord) => void records.push(r) },
  });
  return { rt, records };
}

export const HI = [{ role: 'user', content: 'hi' }];

/** An inbound API a fault is driven through: its path and a one-word request, streamed or not. */
export interface FaultApi {
  name: 'chat' | 'responses' | 'azure' | 'messages';
  url: string;
  body(stream: boolean): Record<string, unknown>;
}

export const FAULT_APIS: FaultApi[] = [
  {
    name: 'chat',
    url: '/v1/chat/completions',
    body: (stream) => ({ model: 'model-router', messages: HI, stream }),
  },
  {
    name: 'responses',
    url: '/v1/responses',
    body: (stream) => ({ model: 'model-router', input: 'hi', stream, store: false }),
  },
  {
    name: 'azure',
    url: '/openai/deployments/model-router/chat/completions?api-version=2024-10-21',
    body: (stream) => ({ messages: HI, stream }),
  },
  {
    name: 'messages',
    url: '/v1/messages',
    body: (stream) => ({ model: 'model-router', max_tokens: 50, messages: HI, stream }),
  },
];
