// The test config with simulated media deployments beside its chat ones (`img` images, `stt`
// transcription, and `rr` rerank when asked), every deployment on its own simulated adapter with a
// fixed clock: the app the multipart and media-field tests send their forms to.
import { parseConfig } from '../../src/config/load-config.js';
import { createSimulatedAdapter } from '../../src/providers/simulated/simulated-adapter.js';
import type { BatchStore } from '../../src/store/batch-store.js';
import { buildTestApp, type TestApp } from './build-test-app.js';
import { simDeployment, testConfigInput } from './test-config.js';

export async function mediaTestApp(
  opts: { rerank?: boolean; files?: BatchStore } = {},
): Promise<TestApp> {
  const input = testConfigInput();
  const media = (name: string, kind: 'images' | 'transcription' | 'rerank') =>
    simDeployment(name, { kind, model: `${name}-model`, maxOutputTokens: undefined });
  input.deployments.push(media('img', 'images'), media('stt', 'transcription'));
  if (opts.rerank) input.deployments.push(media('rr', 'rerank'));
  const config = parseConfig(input, {}).config;
  const adapters = Object.fromEntries(
    config.deployments.map((d) => [d.name, createSimulatedAdapter(d, { now: () => 0 })]),
  );
  return buildTestApp(config, adapters, opts.files ? { files: opts.files } : {});
}
