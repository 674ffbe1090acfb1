// Which requests the summaries count as the client's to fix rather than errors (tour audit F11,
// 2026-12-06): a key refused a model or route (401, 403) is, as a malformed request is; an
// upstream's own failure never is.
import { describe, expect, it } from 'vitest';
import { summarizeRecords } from './request-summary.js';
import type { RequestRecord } from './request-record.js';
import { countsAsError, isInvalidRequest } from './summary-rules.js';

const rec = (status: number, errorCode?: string): RequestRecord => ({
  time: 1_700_000_000_000,
  requestId: `req_${status}`,
  endpoint: 'chat',
  keyId: 'team-a',
  attempts: [],
  stream: false,
  promptTokens: 0,
  cachedTokens: 0,
  completionTokens: 0,
  reasoningTokens: 0,
  costUsd: 0,
  baselineCostUsd: 0,
  latencyMs: 1,
  status,
  errorCode,
});

describe('the summary rules', () => {
  it("a key's 401 or 403 is the client's to fix, not an error of the router", () => {
    for (const status of [401, 403]) {
      expect(isInvalidRequest(status, false)).toBe(true);
      expect(countsAsError(status, false)).toBe(false);
    }
    // A failure after an upstream call is the operator's to see.
    expect(countsAsError(403, true)).toBe(true);
    const summary = summarizeRecords(
      [rec(200), rec(403, 'permission_denied')],
      'key',
      0,
      Number.MAX_SAFE_INTEGER,
    );
    expect(summary).toMatchObject({ requests: 2, invalidRequests: 1, errorRate: 0 });
  });

  it("a method the path is not served for (405) is the client's to fix, as the 404 it was", () => {
    expect(isInvalidRequest(405, false)).toBe(true);
    expect(countsAsError(405, false)).toBe(false);
  });
});
