// `realtime`: the Realtime API's WebSocket proxy (`GET /v1/realtime?model=`,
// http/routes/realtime-routes.ts). Read as each connection opens.
import { z } from 'zod';

export const REALTIME_DEFAULTS = { maxConnectionMinutes: 60 } as const;

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
  })
  .default(REALTIME_DEFAULTS)
  .describe(
    'The Realtime API (`kind: realtime` deployments, served as WebSockets on `/v1/realtime?model=`; docs/concepts.md "Realtime").',
  );

export type RealtimeConfig = z.infer<typeof realtimeSchema>;
