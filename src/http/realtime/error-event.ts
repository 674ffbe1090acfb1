// The realtime `error` events the router itself sends the client (realtime-relay.ts): a
// refusal in OpenAI's RealtimeServerEventError shape, naming the client's event it answers.
import { GatewayError } from '../../core/errors.js';

/** A refusal already told to the client (and its socket closed): nothing more to send. */
export class Refused extends GatewayError {
  constructor() {
    super({ status: 401, type: 'authentication_error', message: 'refused' });
  }
}

/**
 * OpenAI's realtime `error` event for `e` as its frame text; `sequence` numbers the router's own
 * events in the session, `eventId` is the client's event it answers (null when not a string).
 */
export function errorEventText(e: GatewayError, sequence: number, eventId?: unknown): string {
  return JSON.stringify({
    type: 'error',
    event_id: `event_router_${sequence}`,
    error: {
      type: e.type,
      code: e.code,
      message: e.message,
      param: e.param,
      event_id: typeof eventId === 'string' ? eventId : null,
    },
  });
}
