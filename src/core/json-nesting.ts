// How deep a JSON text nests. JSON.parse takes any depth, but the code that reads a body after it
// (the answer cache's canonical JSON, token estimates, field checks, the upstream's serialiser)
// recurses, and a body of 100,000 nested arrays overflowed the stack there: a 500 and an error
// log of the stack for each such request. Bodies (and Responses WebSocket messages, Realtime events
// the router reads) deeper than any real request are refused first.

/** Deeper than any real request or JSON Schema (OpenAI allows 10 levels of schema nesting). */
export const MAX_JSON_DEPTH = 256;

/** What a refusal says, `what` being the request body, the message, the event. */
export function tooDeepMessage(what: string, flatter: string): string {
  return `The ${what} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep: send a flatter ${flatter}.`;
}

/**
 * True when valid JSON `text` opens more than `max` arrays and objects inside one another. One
 * pass: strings are skipped with `indexOf` (a text-heavy chat body costs little), only brackets
 * and braces outside them are counted.
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: its closing quote is the next one not escaped by an odd run of backslashes.
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return false;
      i = end;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let j = quote - 1; j >= 0 && text.charCodeAt(j) === 0x5c; j--) backslashes++;
  return backslashes % 2 === 1;
}
