// `realtime`: the Realtime API's WebSocket proxy (`GET /v1/realtime?model=`,
// http/realtime/realtime-routes.ts). Read as each connection opens.
import { z } from 'zod';

export const REALTIME_DEFAULTS = {
  maxConnectionMinutes: 60,
  // About 16 s of 24 kHz PCM16 audio as base64 deltas; a few MiB per stuck session at worst.
  maxBufferedBytes: 1_048_576,
  maxStalledSeconds: 30,
} as const;

export const realtimeSchema = z
  .strictObject({
    maxConnectionMinutes: z
      .number()
      .positive()
      .max(24 * 60)
      .default(REALTIME_DEFAULTS.maxConnectionMinutes)
      .describe(
        'How long one realtime session through the router may last (OpenAI ends its own at 60 minutes). Then the router sends an `error` event with code `session_expired` and closes both sides (close code 1001); the client opens a new session. Read when each connection opens.',
      ),
    maxBufferedBytes: z
      .number()
      .int()
      .min(16_384)
      .max(1_073_741_824)
      .default(REALTIME_DEFAULTS.maxBufferedBytes)
      .describe(
        "Backpressure, per session and direction: when the bytes the router has queued for one side (the client's socket, or the upstream's) pass this, the router stops reading from the other side until they drain below half of it, so a slow reader never makes the router buffer without bound. Read when each connection opens.",
      ),
    maxStalledSeconds: z
      .number()
      .positive()
      .max(3600)
      .default(REALTIME_DEFAULTS.maxStalledSeconds)
      .describe(
        'How long one side may leave its queue over `maxBufferedBytes` (reading from the other side paused, never drained below half) before the router gives up on the session: a client that stopped reading gets an `error` event `client_too_slow` and close 1008; an upstream that stopped reading gets the client an `error` event `upstream_too_slow` and close 1011. Either is logged and recorded with that reason. Read when each connection opens.',
      ),
  })
  .default(REALTIME_DEFAULTS)
  .describe(
    'The Realtime API (`kind: realtime` deployments, served as WebSockets on `/v1/realtime?model=`; docs/concepts.md "Realtime").',
  );

export type RealtimeConfig = z.infer<typeof realtimeSchema>;
