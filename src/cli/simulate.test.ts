// `simulate` replays logged prompt texts through the routing model: a single-turn request must read
// exactly as it did when it was routed, or the replay is of a different request.
import { describe, expect, it } from 'vitest';
import { loadRows } from '../../training/dataset.js';
import { collectPromptText } from '../core/prompt-text.js';
import type { ChatRequest } from '../core/wire-types.js';
import { extractFeatures } from '../routing/features.js';
import { replayRequest } from './simulate.js';

describe('simulate', () => {
  it('replays a logged single-turn prompt with the features it was routed on', () => {
    const rows = loadRows('test/fixtures/routing/arenabench_v1.jsonl');
    expect(rows.length).toBeGreaterThan(200);
    for (const row of rows) {
      const sent = {
        model: 'model-router',
        messages: [{ role: 'user', content: row.prompt }],
      } as ChatRequest;
      const replayed = replayRequest('model-router', collectPromptText(sent));
      expect(extractFeatures(replayed)).toEqual(extractFeatures(sent));
    }
  });
});
