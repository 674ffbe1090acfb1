// `responses`: the Responses API's settings, apart from schema.ts (which is long enough).
// Background mode's (`responses.background`, http/responses/background-responses.ts): the lease and
// the sweep are read at start-up (they set this replica's timers), the kept events when each run
// starts and the shutdown grace when the replica shuts down. WebSocket mode's
// (`responses.websocket`, http/responses/responses-websocket.ts), read as each connection opens.
import { z } from 'zod';

export const RESPONSES_BACKGROUND_DEFAULTS = {
  leaseSeconds: 30,
  sweepSeconds: 30,
  maxKeptEvents: 10_000,
  shutdownGraceSeconds: 10,
} as const;

export const responsesBackgroundSchema = z
  .strictObject({
    leaseSeconds: z
      .number()
      .int()
      .min(3, 'must be at least 3 (the lease is renewed every third of it)')
      .max(600)
      .default(RESPONSES_BACKGROUND_DEFAULTS.leaseSeconds)
      .describe(
        "How long a replica's hold on a background response it runs lasts unless renewed (every third of it). A cancel sent to another replica without Redis pub/sub reaches the run at its next renewal; a replica that dies leaves its runs to be failed once it has run out. Read at start-up.",
      ),
    sweepSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(RESPONSES_BACKGROUND_DEFAULTS.sweepSeconds)
      .describe(
        "How often each replica looks for background responses whose lease ran out (their replica died) and marks them `failed`: such a run is failed within `leaseSeconds` + `sweepSeconds` of its replica's death. Each pass reads at most 100 of them. Read at start-up.",
      ),
    maxKeptEvents: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(RESPONSES_BACKGROUND_DEFAULTS.maxKeptEvents)
      .describe(
        "Stream events kept for a background response with `stream: true`, besides its terminal one: the first this many are written to the request-log store, so any replica replays them (`GET /v1/responses/{id}?stream=true&starting_after=N`); a resume past them gets the terminal event, whose `response` holds the whole output. The replica running it also holds up to twice this many of the latest events in memory for its followers (a response's memory is about three times this many events, a few hundred bytes each). Read when each run starts.",
      ),
    shutdownGraceSeconds: z
      .number()
      .min(0)
      .max(3600)
      .default(RESPONSES_BACKGROUND_DEFAULTS.shutdownGraceSeconds)
      .describe(
        "On SIGTERM, how long a replica waits for the background responses it runs to finish (it takes no new requests meanwhile); those still running then are marked `failed` (not run again). Keep it below your orchestrator's grace period (Kubernetes `terminationGracePeriodSeconds`, 30 by default), less the time to drain foreground requests. Read when the replica shuts down.",
      ),
  })
  .default(RESPONSES_BACKGROUND_DEFAULTS)
  .describe(
    'Background mode (`background: true`): the replica that takes a request runs it under a lease in the response store (docs/concepts.md "Background responses").',
  );

export const RESPONSES_WEBSOCKET_DEFAULTS = { maxConnectionMinutes: 60 } as const;

export const responsesWebSocketSchema = z
  .strictObject({
    maxConnectionMinutes: z
      .number()
      .positive()
      .max(24 * 60)
      .default(RESPONSES_WEBSOCKET_DEFAULTS.maxConnectionMinutes)
      .describe(
        'How long one WebSocket connection to `/v1/responses` may stay open (OpenAI: 60 minutes). Then the router sends an `error` event with code `websocket_connection_limit_reached` and closes the connection (close code 1001); the client opens a new one. A turn still running then is cancelled. Read when each connection opens.',
      ),
  })
  .default(RESPONSES_WEBSOCKET_DEFAULTS)
  .describe(
    'WebSocket mode (`GET /v1/responses` with an upgrade): `response.create` events on one connection, answered with the streamed Responses events (docs/concepts.md "WebSocket mode").',
  );

/** 4 MiB: a few screenshots' data URLs, kept for the turns that continue a conversation. */
export const STORED_INLINE_DATA_MAX_BYTES = 4 * 1024 * 1024;

export const responsesSchema = z
  .strictObject({
    background: responsesBackgroundSchema,
    websocket: responsesWebSocketSchema,
    storedInlineDataMaxBytes: z
      .number()
      .int()
      .min(0)
      .default(STORED_INLINE_DATA_MAX_BYTES)
      .describe(
        "The most inline data (data URLs of `input_image` and `input_file`, base64 audio) one stored response (`store: true`, the default) keeps in its input, in bytes of the encoded text: the latest items first, as given (so `previous_response_id` and `GET /v1/responses/{id}/input_items` have them); each item beyond it is stored as a text part naming what it was and its size, which a continued conversation's model then reads instead. What is kept is stored once per distinct payload, however many stored responses hold it (keyed by its sha-256, and dropped with the last response referring to it); the bound applies to each stored response as a whole, each distinct payload counted once (an image sent on every turn counts as one). 0 keeps none. Images by URL are not inline data and are always kept; a router file named by `file_id` is stored as the data it was resolved to, and counts. Read as each response is stored.",
      ),
  })
  .default({
    background: RESPONSES_BACKGROUND_DEFAULTS,
    websocket: RESPONSES_WEBSOCKET_DEFAULTS,
    storedInlineDataMaxBytes: STORED_INLINE_DATA_MAX_BYTES,
  })
  .describe('The Responses API (`/v1/responses`).');

export type ResponsesBackgroundConfig = z.infer<typeof responsesBackgroundSchema>;
