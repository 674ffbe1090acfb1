// JSON request bodies: fastify's own parser (with its __proto__ and constructor guards), but a body
// it refuses gets a 400 that says where the JSON breaks, in one sentence, instead of fastify's
// "Body is not valid JSON but content-type is set to 'application/json'". A body nested deeper
// than any real request (core/json-nesting.ts) is a 400 too, before any code recurses into it, and
// so is one whose bytes are not UTF-8 (RFC 8259 §8.1), which was read with U+FFFD in their place.
// RFC 8259 defines no charset parameter for JSON, but a client that declares one
// (`application/json; charset=latin1`, .NET's `Encoding.Unicode` → `charset=utf-16`) was read as
// UTF-8 anyway: its "é" refused, its UTF-16 read as NUL-separated garbage. Such a body is decoded
// as declared (jsonBodyText), so nothing it says is lost; a charset no decoder knows is a 415.
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { codeUnitName } from '../core/char-count.js';
import { GatewayError } from '../core/errors.js';
import { MAX_JSON_DEPTH, jsonNestsDeeperThan, tooDeepMessage } from '../core/json-nesting.js';
import { locateJsonError } from '../core/locate-json-error.js';
import { takesForm, unsupportedMediaType } from './refuse-text-bodies.js';

/** RFC 7386's media type for a JSON merge patch, which the admin API's PATCH routes apply. */
const MERGE_PATCH = 'application/merge-patch+json';

/**
 * Parses `application/json` bodies on `app` (and the scopes that inherit its parsers), and
 * `application/merge-patch+json` ones on PATCH requests: a client that sends a merge patch with
 * its RFC's media type got a 415 from routes documented as RFC 7386 merges. Another method with
 * that media type is still a 415.
 */
export function useJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  const parseJson: ContentTypeParserFn = (request, body, done) => {
    let text: string;
    try {
      text =
        typeof body === 'string'
          ? body
          : jsonBodyText(body, request.headers['content-type'] as string | undefined);
    } catch (err) {
      return done(err as Error, undefined);
    }
    parse(request, text, (err, value) => {
      const refused = (err as { code?: string } | null)?.code === 'FST_ERR_CTP_INVALID_JSON_BODY';
      if (!err && jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) return done(tooDeepBody(), undefined);
      done(refused ? invalidJsonBody(text) : err, value);
    });
  };
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJson);
  app.addContentTypeParser(MERGE_PATCH, { parseAs: 'buffer' }, (request, body, done) => {
    if (request.method === 'PATCH' || request.is404) parseJson(request, body, done);
    else done(unsupportedMediaType(MERGE_PATCH, takesForm(request)), undefined);
  });
}

type ContentTypeParserFn = (
  request: FastifyRequest,
  body: string | Buffer,
  done: (err: Error | null, body?: unknown) => void,
) => void;

/** A media type's `charset` parameter: a token or a quoted string (RFC 9110 §5.6.6). */
const CHARSET_PARAM = /;\s*charset\s*=\s*(?:"([^"]*)"|([^\s;]*))/i;

/** The charset `contentType` declares, lower-cased; undefined when it declares none. */
export function declaredCharset(contentType: string | undefined): string | undefined {
  const m = contentType ? CHARSET_PARAM.exec(contentType) : null;
  return m ? (m[1] ?? m[2] ?? '').trim().toLowerCase() : undefined;
}

/**
 * The text of the JSON body `bytes` that came as `contentType`: UTF-8 (checked: notUtf8Body)
 * unless it declares another charset, which decodes it. Decoded by Node's TextDecoder, whose labels
 * are the WHATWG Encoding Standard's, read as browsers read them (`latin1` and `us-ascii` are
 * windows-1252, `utf-16` little-endian; a BOM is dropped); no dependency needed. Throws a 415 for
 * a charset it does not know (`utf-32`, a typo), a 400 for bytes that are no text in the declared
 * one.
 */
export function jsonBodyText(bytes: Buffer, contentType: string | undefined): string {
  const charset = declaredCharset(contentType);
  let decoder: TextDecoder | undefined;
  // An empty `charset=` declares nothing: read as UTF-8, as before charsets were read. The usual
  // `charset=utf-8` needs no decoder either.
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    try {
      decoder = new TextDecoder(charset, { fatal: true });
    } catch {
      throw unsupportedCharset(charset);
    }
  }
  if (!decoder || decoder.encoding === 'utf-8') {
    if (!isUtf8(bytes)) throw notUtf8Body(bytes);
    return bytes.toString('utf8');
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new GatewayError({
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_json',
      message: `The request body is not valid ${decoder.encoding}, the charset its content-type declares (charset=${charset}). Send the JSON encoded as UTF-8 with content-type: application/json, or declare the charset the body is in.`,
    });
  }
}

/** The 415 for a declared charset no decoder knows. */
export function unsupportedCharset(charset: string): GatewayError {
  return new GatewayError({
    status: 415,
    type: 'invalid_request_error',
    code: 'unsupported_media_type',
    message: `The request body's content-type declares charset=${JSON.stringify(charset.slice(0, 40))}, which this router cannot read. Send the JSON encoded as UTF-8 with content-type: application/json (charset=utf-8, or no charset).`,
  });
}

/**
 * The 400 for a body that is not JSON (`invalid_json`): where it breaks (line, column) and what
 * is found there. Shaped by the route's error shape, so /v1/messages answers in Anthropic's.
 */
export function invalidJsonBody(text: string): GatewayError {
  const place = locateJsonError(text);
  const message = !place
    ? // Valid JSON that the parser's guards refuse (prototype pollution).
      'The request body may not contain a "__proto__" or "constructor.prototype" key: remove it.'
    : place.found === undefined
      ? `The request body is not valid JSON: it ends at line ${place.line}, column ${place.column}, before the JSON is complete (is a closing quote, bracket or brace missing?).`
      : `The request body is not valid JSON: unexpected ${describeCharacter(place.found)} at line ${place.line}, column ${place.column}.`;
  return new GatewayError({
    status: 400,
    type: 'invalid_request_error',
    code: 'invalid_json',
    message,
  });
}

/**
 * The 400 for a body whose bytes are not UTF-8 (`invalid_json`): the first byte that is not part
 * of a character, with its line and column, and how to send the text.
 */
export function notUtf8Body(bytes: Buffer): GatewayError {
  // Node decodes each run of bytes that is no character as one U+FFFD: the first such that the
  // bytes do not spell (EF BF BD) is where the body stops being UTF-8.
  let offset = 0;
  let line = 1;
  let column = 1;
  for (const c of bytes.toString('utf8')) {
    const sent = bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd;
    if (c === '\ufffd' && !sent) break;
    offset += Buffer.byteLength(c);
    if (c === '\n') {
      line++;
      column = 1;
    } else column++;
  }
  const byte = (bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0');
  return new GatewayError({
    status: 400,
    type: 'invalid_request_error',
    code: 'invalid_json',
    message: `The request body is not valid UTF-8: byte 0x${byte} at line ${line}, column ${column} is not part of a UTF-8 character. Send JSON encoded as UTF-8 (text in Latin-1 or Windows-1252 converts with iconv -f WINDOWS-1252 -t UTF-8).`,
  });
}

/** The 400 for valid JSON nested deeper than `MAX_JSON_DEPTH` (`invalid_json`). */
export function tooDeepBody(): GatewayError {
  return new GatewayError({
    status: 400,
    type: 'invalid_request_error',
    code: 'invalid_json',
    message: tooDeepMessage('request body', 'body'),
  });
}

/** What was found where the JSON breaks, as the sentence names it. */
function describeCharacter(c: string): string {
  const code = c.charCodeAt(0);
  // Mostly a raw line break or tab inside a string, where JSON wants an escape.
  if (code < 0x20)
    return `control character ${codeUnitName(code)} (inside a string, write it as an escape such as \\n)`;
  return c === "'" ? `"'"` : `'${c}'`;
}
