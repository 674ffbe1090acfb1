// Azure OpenAI's retired On Your Data path, `/openai/deployments/{name}/extensions/chat/completions`
// (api-versions 2023-06-01-preview to 2023-12-01-preview): current api-versions have no such
// operation (neither Azure spec in ../shared/specs lists it) and Azure answers it 404. The router
// answers it 404 too, in Azure's words for a path it lacks (code "404", CONTRACTS.md §1.4), naming
// where the request goes now: the deployment's chat completions with `data_sources`.
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../core/errors.js';

const RETIRED = '/openai/deployments/:deployment/extensions/chat/completions';

/** The 404 for the retired extensions path, naming its replacement for `deployment`. */
export function retiredExtensionsPath(deployment: string): GatewayError {
  const name = encodeURIComponent(deployment);
  return new GatewayError({
    status: 404,
    type: 'invalid_request_error',
    code: '404',
    param: null,
    message: `Resource not found: Azure OpenAI retired the /extensions/chat/completions path. Send On Your Data requests to POST /openai/deployments/${name}/chat/completions, with the sources in 'data_sources' (snake_case: [{"type": "azure_search", "parameters": {…}}], not 'dataSources').`,
  });
}

/** Mounts the retired path on `app`: every request to it gets retiredExtensionsPath's 404. */
export function registerRetiredExtensionsPath(app: FastifyInstance): void {
  app.post<{ Params: { deployment: string } }>(RETIRED, async (request) => {
    throw retiredExtensionsPath(request.params.deployment);
  });
}
