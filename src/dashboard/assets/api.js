// The dashboard's calls to the router: the admin key kept in sessionStorage (never in a URL) and
// sent as a Bearer token; an answer that is not OK becomes an ApiError with the envelope's message.

export const KEY = 'model-router-admin-key';

/** The admin key given on this tab ('' when none). */
export function key() {
  return sessionStorage.getItem(KEY) || '';
}

/** An API answer that was not OK: its status, and the error envelope's message when it has one. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(path, init = {}) {
  return (await apiWithTag(path, init)).body;
}

/** `api`, with the reply's ETag (an admin item's entity tag, for If-Match). */
export async function apiWithTag(path, init = {}) {
  const res = await fetch(path, {
    ...init,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${key()}`,
      ...(init.headers || {}),
    },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body?.error?.message || `HTTP ${res.status}`);
  return { body, etag: res.headers.get('etag') };
}
