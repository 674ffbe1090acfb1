// How a realtime session ends (realtime-connection.ts): the close codes it sends, which of an
// upstream's closes are its failure, and what each ending records — the status of the responses
// it cut short and of the session's own request-log record, and the code that says why.
import { GatewayError } from '../../core/errors.js';

/** Close codes (RFC 6455 §7.4.1): going away (time limit, shutdown), policy, upstream failure. */
export const NORMAL = 1000;
export const GOING_AWAY = 1001;
export const POLICY_VIOLATION = 1008;
export const INTERNAL_ERROR = 1011;

/**
 * An upstream's closes that are its failure (fed to its circuit breaker): no close frame (1006:
 * dropped, or a socket error), internal error, service restart, try again later, bad gateway
 * (IANA's registry). A policy or application close (1008, 4xxx) is the upstream's decision.
 */
const UPSTREAM_FAILURES = new Set([1006, 1011, 1012, 1013, 1014]);

/** Why a session ended: its code, and the status of responses it cut short and of its record. */
export interface SessionEnd {
  code: string;
  responseStatus: number;
  sessionStatus: number;
}

/** The client left (499: not an error, as a stopped stream is not). */
export const CLIENT_CLOSED: SessionEnd = {
  code: 'client_closed_request',
  responseStatus: 499,
  sessionStatus: 499,
};

/**
 * An ending the router decides: what it records, the `error` event the client gets first (its
 * `type` and message), the client's close code and reason, and how the upstream is closed.
 */
export interface Ending extends SessionEnd {
  type: 'server_error' | 'invalid_request_error';
  message: string;
  closeCode: number;
  /** The close frame's reason, after the code. */
  closeText: string;
  /** The upstream session's close, when not 1000. */
  upstream?: { code: number; reason: string };
}

/** The session ran its `realtime.maxConnectionMinutes`: it served (200); a response cut is 408. */
export const sessionExpired = (minutes: number): Ending => ({
  code: 'session_expired',
  responseStatus: 408,
  sessionStatus: 200,
  type: 'invalid_request_error',
  message: `This realtime session reached its limit of ${minutes} minutes (realtime.maxConnectionMinutes); open a new session to continue.`,
  closeCode: GOING_AWAY,
  closeText: 'open a new session',
});

/**
 * One side read nothing for `realtime.maxStalledSeconds` with `bytes` queued for it: the client's
 * own fault is a policy close (1008), the upstream's 1011.
 */
export function stalled(side: 'client' | 'upstream', seconds: number, bytes: number): Ending {
  const ending = { type: 'server_error', closeText: `nothing read for ${seconds} s` } as const;
  return side === 'client'
    ? {
        ...ending,
        code: 'client_too_slow',
        responseStatus: 408,
        sessionStatus: 408,
        message: `This client read nothing for ${seconds} s with ${bytes} bytes waiting (realtime.maxStalledSeconds); the session is closed.`,
        closeCode: POLICY_VIOLATION,
      }
    : {
        ...ending,
        code: 'upstream_too_slow',
        responseStatus: 504,
        sessionStatus: 504,
        message: `The upstream read nothing for ${seconds} s with ${bytes} bytes waiting (realtime.maxStalledSeconds); open a new session.`,
        closeCode: INTERNAL_ERROR,
      };
}

/**
 * The router is shutting down (websocket-shutdown.ts): the session cannot go on here (503
 * `router_shutting_down`, the code of every request the drain stops or refuses); "going away"
 * both ways, and the client reconnects, to another replica if there is one.
 */
export const SERVER_SHUTDOWN: Ending = {
  code: 'router_shutting_down',
  responseStatus: 503,
  sessionStatus: 503,
  type: 'server_error',
  message: 'The router is shutting down; open a new session to continue.',
  closeCode: GOING_AWAY,
  closeText: 'the router is shutting down',
  upstream: { code: GOING_AWAY, reason: 'the router is shutting down' },
};

/** The same, for a session still opening its upstream: its upgrade is refused 503 (HTTP). */
export const serverShutdownError = () =>
  new GatewayError({
    status: 503,
    type: SERVER_SHUTDOWN.type,
    code: SERVER_SHUTDOWN.code,
    message: SERVER_SHUTDOWN.message,
    headers: { 'retry-after': '1' },
  });

/**
 * The upstream sent a message past `server.bodyLimitBytes`, which was not relayed (502: a bad
 * reply from upstream). The client's close is 1011, not 1009: 1009 says the side closing got a
 * message too big from the side it closes, and this client sent none (the upstream gets the 1009).
 */
export const upstreamMessageTooLarge = (maxBytes: number): Ending => ({
  code: 'upstream_message_too_large',
  responseStatus: 502,
  sessionStatus: 502,
  type: 'server_error',
  message: `The upstream sent a realtime message larger than ${maxBytes} bytes (server.bodyLimitBytes); it was not relayed and the session is closed. Open a new session, or raise server.bodyLimitBytes.`,
  closeCode: INTERNAL_ERROR,
  closeText: `a message over ${maxBytes} bytes`,
});

/**
 * The client sent a message past `server.bodyLimitBytes` (413, as a body too large). ws refuses it
 * as its header arrives and closes the client 1009 (message too big) itself, before the router
 * hears of it: no `error` event can go first. The upstream session is closed normally.
 */
export const CLIENT_MESSAGE_TOO_LARGE: SessionEnd = {
  code: 'client_message_too_large',
  responseStatus: 413,
  sessionStatus: 413,
};

/** The upstream closed with `code`: whether it failed, the ending, and the client's close code. */
export function upstreamEnd(code: number): {
  end: SessionEnd;
  normal: boolean;
  failed: boolean;
  clientCode: number;
} {
  const normal = code === NORMAL || code === GOING_AWAY;
  const failed = UPSTREAM_FAILURES.has(code);
  return {
    end: {
      code: failed ? 'upstream_failed' : 'upstream_closed',
      responseStatus: 502,
      sessionStatus: normal ? 200 : 502,
    },
    normal,
    failed,
    clientCode: normal ? code : INTERNAL_ERROR,
  };
}

/** A close frame's reason is at most 123 bytes. */
export const closeReason = (text: string) => Buffer.from(text).subarray(0, 123).toString('utf8');
