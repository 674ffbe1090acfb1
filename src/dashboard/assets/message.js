// The message bar: `error` messages are the refresh's own and clear when the router answers
// again; `info` ones (a save, a retry) stay until the next action, and so do `failed` ones (a
// save or retry the router refused), which look and are announced as errors. It is a live
// region: the refresh's own messages (`error`, `prompt`), said again every 3 s, are rewritten only
// when they change, or screen readers would read them out again at each refresh; a user's action
// is always said, even when it says what the last one did.

/** The kind of the message shown ('' when none): the refresh clears only its own. */
export let messageKind = '';

export function show(message, kind = 'info') {
  const el = document.getElementById('message');
  const fromRefresh = kind === 'error' || kind === 'prompt';
  if (fromRefresh && kind === messageKind && el.textContent === message && !el.hidden) return;
  el.textContent = message;
  el.hidden = !message;
  el.className = `message ${kind}`;
  el.setAttribute('role', kind === 'error' || kind === 'failed' ? 'alert' : 'status');
  messageKind = message ? kind : '';
}
