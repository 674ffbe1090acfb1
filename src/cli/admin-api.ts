// The CLI's client for a running router's admin API (`--url`, admin key from `--admin-key` or
// $MODEL_ROUTER_ADMIN_KEY), shared by the commands that manage a live router (`keys`, `batches`).
import { request } from 'undici';

/** Where an admin command writes and what environment it reads (tests pass their own). */
export interface AdminCliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export const processIo: AdminCliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
};

/** Calls one admin endpoint; the JSON answer, or an Error naming the status and the router's message. */
export type AdminCall = (
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
) => Promise<Record<string, unknown>>;

export function adminApi(url: string, adminKey: string | undefined): AdminCall {
  // undici's own word for these is "Invalid URL", or a connection to a host named "127.0.0.1".
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // Not a URL: refused below.
  }
  if (protocol !== 'http:' && protocol !== 'https:')
    throw new Error(
      `--url must be the router's http(s) URL, such as http://127.0.0.1:8080 (got "${url}")`,
    );
  if (!adminKey) throw new Error('an admin key is needed: --admin-key or $MODEL_ROUTER_ADMIN_KEY');
  const base = url.replace(/\/+$/, '');
  return async (method, path, body) => {
    const res = await request(base + path, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    }).catch((err: unknown) => {
      throw new Error(unreachable(base, err));
    });
    const text = await res.body.text();
    let json: Record<string, unknown> = {};
    try {
      if (text) json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Another server at that address (a web page, a proxy's error page): say so.
      throw new Error(
        `HTTP ${res.statusCode} from ${base + path} is not JSON (${JSON.stringify(text.slice(0, 200))}): is --url the router's address?`,
      );
    }
    if (res.statusCode >= 400) {
      const message =
        (json.error as { message?: string } | undefined)?.message ?? text.slice(0, 300);
      throw new Error(`HTTP ${res.statusCode}: ${message}`);
    }
    return json;
  };
}

/** Why no router answered at `base`, in words (undici's were "connect ECONNREFUSED 127.0.0.1:1"). */
function unreachable(base: string, err: unknown): string {
  const code = String(
    (err as { code?: unknown }).code ?? (err as { cause?: { code?: unknown } }).cause?.code ?? '',
  );
  const why =
    code === 'ECONNREFUSED'
      ? 'nothing listens there'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'no such host'
        : (err as Error).name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT'
          ? 'no answer within 10 s'
          : ((err as Error)?.message ?? String(err));
  return `no router answered at ${base} (${why}): is it running, and is --url its address?`;
}
