// The `anthropic-version` header on Anthropic's own endpoints (`/v1/messages`, its token count and
// Message Batches). Anthropic requires it and refuses a version it does not have
// (https://docs.anthropic.com/en/api/versioning). The router answers every version it accepts the
// same way: its tests hold that to the 0.x SDK's 2023-06-01 and the 1.x SDK's 2026-10-21.
import type { FastifyRequest } from 'fastify';
import { isCalendarDate } from '../../core/calendar-date.js';
import { invalidRequest } from '../../core/errors.js';

/**
 * Anthropic's API versions, newest first: 2026-10-21 is what `@anthropic-ai/sdk` 1.x sends (its
 * CHANGELOG, 1.0.0), 2023-06-01 what 0.x SDKs and Anthropic's curl examples send.
 */
export const ANTHROPIC_VERSIONS = ['2026-10-21', '2023-06-01', '2023-01-01'] as const;
/** The version a refusal suggests: the one every Anthropic example sends. */
const SUGGESTED = '2023-06-01';

const WELL_FORMED = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A known version, or a real date after the newest known one (a version newer than this router,
 * answered as the newest it knows), passes; a missing header passes too (curl and hand-written
 * clients; the official SDKs always send it). A malformed value, a date that does not exist or
 * an older date Anthropic never published is a 400 naming the header and what to send.
 */
export function checkAnthropicVersion(value: string | string[] | undefined): void {
  if (value === undefined) return;
  const version = String(value);
  const send = `send anthropic-version: ${SUGGESTED}`;
  const quoted = JSON.stringify(version.slice(0, 60));
  if (!WELL_FORMED.test(version))
    throw invalidRequest(
      `anthropic-version: ${quoted} is not an API version, which is a date such as ${SUGGESTED}; ${send}.`,
      'anthropic-version',
      'invalid_value',
    );
  if (!isCalendarDate(version))
    throw invalidRequest(
      `anthropic-version: ${quoted} is not a real date; ${send}.`,
      'anthropic-version',
      'invalid_value',
    );
  if ((ANTHROPIC_VERSIONS as readonly string[]).includes(version)) return;
  // ISO dates compare as strings.
  if (version > ANTHROPIC_VERSIONS[0]) return;
  throw invalidRequest(
    `anthropic-version: ${quoted} is not a version of the Anthropic API (those are ${ANTHROPIC_VERSIONS.join(', ')}); ${send}.`,
    'anthropic-version',
    'invalid_value',
  );
}

/** A route hook: the header is checked before the body is read (after authentication). */
export async function anthropicVersionHook(request: FastifyRequest): Promise<void> {
  checkAnthropicVersion(request.headers['anthropic-version']);
}
