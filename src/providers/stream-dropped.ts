// The error of an upstream stream cut short, shared by every adapter that streams (OpenAI-format
// and Anthropic alike).
import { GatewayError } from '../core/errors.js';

/**
 * An upstream stream that ended before its end (no end event, no finish reason): the answer is
 * cut short. Retryable: before the first byte another deployment serves it, after it the client
 * gets the stream's error event, and either way it counts against the deployment's circuit.
 */
export function streamDropped(deploymentName: string): GatewayError {
  return new GatewayError({
    status: 502,
    type: 'server_error',
    code: 'upstream_stream_dropped',
    message: `${deploymentName}: the upstream stream ended before the answer did (no end event)`,
    retryable: true,
  });
}
