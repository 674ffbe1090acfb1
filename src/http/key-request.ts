// Routes that keep something for the caller (a file, a conversation or its items, a batch,
// feedback, a stored completion's metadata) and call no model: each takes one request from the
// caller's key's RPM (nothing else), as the token-count routes do, so a key limited to a few
// requests a minute cannot fill the router's storage at wire speed (security audit F2,
// 2026-12-06; before, only model calls and counts were limited). Reads are not charged: a client
// polling a background response or a batch would spend the RPM its model calls need.
export const KEY_REQUEST = { config: { keyRequest: true } } as const;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes one request from the key's RPM before it runs (key-request.ts). */
    keyRequest?: boolean;
  }
}
