// How a realtime session ends (realtime-connection.ts): the close codes it sends, which of an
// upstream's closes are its failure, and what each ending records — the status of the responses
// it cut short and of the session's own request-log record, and the code that says why.

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
 * The router is shutting down (websocket-shutdown.ts): the session could not go on here (503, as
 * a request refused while closing); the client reconnects, to another replica if there is one.
 */
export const SERVER_SHUTDOWN: SessionEnd = {
  code: 'server_shutdown',
  responseStatus: 503,
  sessionStatus: 503,
};

/** The session ran its `realtime.maxConnectionMinutes`: it served (200); a response cut is 408. */
export const SESSION_EXPIRED: SessionEnd = {
  code: 'session_expired',
  responseStatus: 408,
  sessionStatus: 200,
};

/**
 * One side read nothing for `realtime.maxStalledSeconds`: the ending, the client's close code
 * (its own fault: policy; the upstream's: 1011) and what its `error` event says.
 */
export const STALLED: Record<
  'client' | 'upstream',
  { end: SessionEnd; closeCode: number; message(seconds: number, bytes: number): string }
> = {
  client: {
    end: { code: 'client_too_slow', responseStatus: 408, sessionStatus: 408 },
    closeCode: POLICY_VIOLATION,
    message: (seconds, bytes) =>
      `This client read nothing for ${seconds} s with ${bytes} bytes waiting (realtime.maxStalledSeconds); the session is closed.`,
  },
  upstream: {
    end: { code: 'upstream_too_slow', responseStatus: 504, sessionStatus: 504 },
    closeCode: INTERNAL_ERROR,
    message: (seconds, bytes) =>
      `The upstream read nothing for ${seconds} s with ${bytes} bytes waiting (realtime.maxStalledSeconds); open a new session.`,
  },
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
