// A request Node's HTTP parser cannot read (headers past its size limit, broken framing such as a
// bad Content-Length, a client that timed out) never reaches a route: the answer is written on the
// socket. Fastify's default writes its own `{error, message, statusCode}`, which the SDKs read as an
// error with no type or code; this writes OpenAI's envelope, as every other error of the router.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** Status, code and message for a parser error (Node's `clientError` codes). */
function describe(err: NodeJS.ErrnoException): { status: number; code: string; message: string } {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return {
      status: 408,
      code: 'request_timeout',
      message:
        'The request was not received in time (server.requestTimeoutSeconds); send it again.',
    };
  if (err.code === 'HPE_HEADER_OVERFLOW')
    return {
      status: 431,
      code: 'headers_too_large',
      message:
        "The request's headers are larger than this server reads (Node's --max-http-header-size, 16 KB by default): send fewer or shorter headers.",
    };
  return {
    status: 400,
    code: 'malformed_request',
    message: `The HTTP request could not be parsed (${err.code ?? 'malformed'}): check its request line, headers and Content-Length or chunked framing.`,
  };
}

export function clientErrorHandler(
  this: FastifyInstance,
  err: NodeJS.ErrnoException,
  socket: Socket,
): void {
  // A connection reset has nothing to answer (Node's docs, event 'clientError').
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, message } = describe(err);
  this.log.debug({ err }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({
      error: { message, type: 'invalid_request_error', param: null, code },
    });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/**
 * An `Expect` other than `100-continue` (Node's 'checkExpectation'): the 417 RFC 9110 §10.1.1
 * asks for, with OpenAI's envelope saying what to send. Node's own 417 has no body at all.
 */
export function expectationFailed(request: IncomingMessage, response: ServerResponse): void {
  const body = JSON.stringify({
    error: {
      message: `The Expect header's value ${JSON.stringify(String(request.headers.expect).slice(0, 64))} is not one this server meets: send Expect: 100-continue, or no Expect header.`,
      type: 'invalid_request_error',
      param: 'expect',
      code: 'expectation_failed',
    },
  });
  response.writeHead(417, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
}
