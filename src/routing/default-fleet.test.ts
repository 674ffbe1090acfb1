// The embedded default config routes for real: with the shipped artefact, Balanced and Cost send
// many prompts to cheaper deployments of the simulated fleet, as `npm start` should show. (Mapped
// into the arenabench group, Balanced served gpt-4.1 for every prompt; models/README.md.)
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../config/load-config.js';
import type { RoutingMode } from '../config/schema.js';
import { requestFromPrompt } from './features.js';
import { DEFAULT_MODELS_DIR } from './router-factory.js';
import { loadArtefactFile, resolveArtefactPath } from './artefact-files.js';
import { createTrainedRouter } from './trained-router.js';

const PROMPTS = [
  'hi',
  'What is 2+2?',
  "Translate 'good morning' to French.",
  'Say hello to my friend Anna.',
  'What is the capital of France?',
  'Prove that sqrt(2) is irrational.',
  'Write a haiku about autumn.',
  'Write a Python function that reverses a linked list, with tests, and explain its complexity.',
  'Which of the following is a prime number? A. 21 B. 27 C. 29 D. 33',
  'A baker sells 24 loaves a day at $3 each. How much does she earn in a week?',
  'Summarise the causes of the First World War in three sentences.',
  'Q: Where would you put a plate after washing it? Answer:',
  'Generate a sentence using the words: dog, frisbee, park.',
  'Who wrote the novel Pride and Prejudice?',
  'Explain the difference between TCP and UDP.',
  'def fib(n):\n    """Return the n-th Fibonacci number."""\n',
];

describe('the default fleet', () => {
  const { config } = loadConfigFile('config/default.yaml', {});
  const router = createTrainedRouter(
    loadArtefactFile(resolveArtefactPath(DEFAULT_MODELS_DIR, 'latest')),
  );
  const routerConfig = config.routers.find((r) => r.name === 'model-router')!;
  const candidates = routerConfig.modelSubset.map((name) =>
    config.deployments.find((d) => d.name === name)!,
  );
  const picks = (mode: RoutingMode) =>
    PROMPTS.map(
      (p) =>
        router.decide({
          request: requestFromPrompt(p),
          router: routerConfig,
          mode,
          candidates,
          promptTokens: Math.ceil(p.length / 4),
        }).ordered[0]!,
    );

  it('Balanced and Cost send many prompts to cheaper deployments; Quality mostly keeps strong ones', () => {
    const top = 'gpt-4.1';
    const cheaper = (mode: RoutingMode) => picks(mode).filter((p) => p !== top).length;
    expect(cheaper('balanced')).toBeGreaterThanOrEqual(PROMPTS.length / 2);
    expect(cheaper('cost')).toBeGreaterThanOrEqual(cheaper('balanced'));
    expect(new Set(picks('cost')).size).toBeGreaterThanOrEqual(3);
    expect(cheaper('quality')).toBeLessThan(cheaper('cost'));
  });

  it("explains a saving mode's pick by the artefact's rule, margin included", () => {
    const decision = router.decide({
      request: requestFromPrompt('hi'),
      router: routerConfig,
      mode: 'balanced',
      candidates,
      promptTokens: 1,
    });
    expect(decision.reason).toMatch(
      /^balanced mode \(band [\d.]+\): .* has the best predicted quality net of cost .*, and each other than gpt-4\.1 first gives up the calibrated margin \d\.\d\d/,
    );
    // Costs in plain decimals a reader takes in at a glance ($0.0000121), not $1.21e-5.
    expect(decision.reason).toMatch(/ at \$0\.0*[1-9]\d{2}\b/);
    expect(decision.reason).not.toMatch(/\$[\d.]+e[-+]\d/);
  });

  it("never says Quality mode's pick has the highest predicted quality when another is predicted higher", () => {
    let kept = 0;
    for (const p of [...PROMPTS, 'Write a Python function that merges two sorted lists.']) {
      const decision = router.decide({
        request: requestFromPrompt(p),
        router: routerConfig,
        mode: 'quality',
        candidates,
        promptTokens: Math.ceil(p.length / 4),
      });
      const pick = decision.scores.find((s) => s.deployment === decision.ordered[0])!;
      const higher = decision.scores.filter((s) => s.predictedQuality > pick.predictedQuality);
      if (higher.length === 0) continue;
      kept++;
      // The reference kept by the margin (tour audit F3, 2026-12-06).
      expect(decision.reason).not.toContain('has the highest predicted quality');
      expect(decision.reason).toMatch(
        /no candidate is predicted ahead of it by more than the calibrated margin|no other model was predicted better/,
      );
    }
    // The case the audit found is among them: the check is not vacuous.
    expect(kept).toBeGreaterThan(0);
  });

  it('maps every deployment of both routers into one data group of the artefact', () => {
    for (const r of config.routers)
      expect(router.describeSubset!(r, config.deployments)).toEqual([]);
  });

  it("ends the tour's forwarded batch in seconds: its simulated Batch APIs are polled often", () => {
    // A forwarded line waits for its upstream batch to complete (batchApi.completesAfterMs), then
    // for the next poll; submitting it can take a poll too. At the default 30 s that was ~50 s.
    const forwarding = config.deployments.filter((d) => d.batchApi?.enabled);
    expect(forwarding.map((d) => d.name)).toContain('gpt-4.1');
    for (const d of forwarding)
      expect(d.batchApi!.completesAfterMs + 2 * config.batches.forwardPollMs).toBeLessThanOrEqual(
        10_000,
      );
  });
});
