// A Responses `namespace` tool's member as one chat function (openapi.yaml `NamespaceToolParam`):
// the Codex CLI groups tools under a namespace; chat has no such thing, so everywhere the router
// holds a conversation in chat form (the bridge, stored conversations, a native upstream's reply
// in the gateway's chat terms) a member is the function `<namespace>__<name>`.

/** Between a namespace and its member's name in the chat function's name. */
const NAMESPACE_SEPARATOR = '__';

/** The chat function's name of a namespace's member. */
export function flatName(namespace: string, name: string): string {
  return `${namespace}${NAMESPACE_SEPARATOR}${name}`;
}

/** A Responses call item's name in chat: its own, or `<namespace>__<name>` when it has one. */
export function chatCallName(item: { namespace?: unknown; name?: unknown }): string {
  const name = String(item.name ?? '');
  return typeof item.namespace === 'string' && item.namespace
    ? flatName(item.namespace, name)
    : name;
}

/** `<namespace>__<name>` back into its fields, where the name has a namespace (at the first `__`). */
export function splitCallName(chatName: string): { name: string; namespace?: string } {
  const at = chatName.indexOf(NAMESPACE_SEPARATOR);
  return at > 0
    ? { namespace: chatName.slice(0, at), name: chatName.slice(at + NAMESPACE_SEPARATOR.length) }
    : { name: chatName };
}
