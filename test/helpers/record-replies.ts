// A fetch for a client under test that keeps what the router answered, to compare what the client
// (a framework over an SDK) read with what was sent: each reply's body as JSON, or a stream's
// `data:` events as JSON (OpenAI's closing `[DONE]` left out), and the path (with its query) of
// each call, in order.
export function recordReplies() {
  const replies: unknown[] = [];
  const paths: string[] = [];
  const recordingFetch: typeof fetch = async (url, init) => {
    const { pathname, search } = new URL(String(url));
    paths.push(pathname + search);
    const res = await fetch(url, init);
    const text = await res.clone().text();
    replies.push(
      (res.headers.get('content-type') ?? '').includes('text/event-stream')
        ? text
            .split('\n')
            .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
            .map((l) => JSON.parse(l.slice(6)) as unknown)
        : text && JSON.parse(text),
    );
    return res;
  };
  return { recordingFetch, replies, paths };
}
