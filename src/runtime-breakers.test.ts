// The runtime's breakers tell the metrics each deployment's circuit state; a deployment taken out
// of the config leaves no series behind (before 2026-12-07 an `open` one stayed at 2 until a
// restart, and an alert on `model_router_circuit_state == 2` kept firing for a deployment that
// was gone). Real metrics registry, in-memory shared state.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config/load-config.js';
import { compileConfig, ConfigHolder } from './config/runtime-config.js';
import { createManualClock } from './core/clock.js';
import { createBreakers } from './runtime-breakers.js';
import { MemoryState } from './store/memory/memory-state.js';
import { Alerter } from './telemetry/alerts.js';
import * as metrics from './telemetry/metrics.js';
import { simDeployment, testConfigInput } from '../test/helpers/test-config.js';

const stateLine = (text: string, name: string) =>
  text.split('\n').find((l) => l.startsWith(`model_router_circuit_state{deployment="${name}"}`));

describe('the circuit state series', () => {
  it('goes when its deployment leaves the config, and stays for the others', async () => {
    const input = testConfigInput({
      deployments: [simDeployment('kept'), simDeployment('gone')],
      routers: [{ name: 'model-router', modelSubset: ['kept'] }],
    });
    const holder = new ConfigHolder(compileConfig(parseConfig(input, {}).config));
    const clock = createManualClock();
    metrics.registry.resetMetrics();
    const { breakers, stopSharingCoolDowns } = await createBreakers({
      holder,
      clock,
      state: new MemoryState(clock),
      replica: 'r1',
      logger: pino({ level: 'silent' }),
      metrics,
      alerter: new Alerter({ config: () => holder.current.config.alerts, clock } as never),
    });
    try {
      for (let i = 0; i < 10 && breakers.state('gone') !== 'open'; i++) breakers.failure('gone');
      breakers.failure('kept');
      expect(breakers.state('gone')).toBe('open');
      expect(stateLine(await metrics.metricsText(), 'gone')).toMatch(/ 2$/);
      const kept = stateLine(await metrics.metricsText(), 'kept');

      const without = { ...input, deployments: input.deployments.filter((d) => d.name !== 'gone') };
      holder.apply(parseConfig(without, {}).config);
      const text = await metrics.metricsText();
      expect(stateLine(text, 'gone')).toBeUndefined();
      expect(stateLine(text, 'kept')).toBe(kept);
    } finally {
      await stopSharingCoolDowns();
    }
  });
});
