// Deployments `gpt` (OpenAI), `az` (Azure) and `claude` (Anthropic) that answer "four" through
// their real adapters over recording HTTP clients: what each upstream was sent, in its own shape.
import type { DeploymentConfig } from '../../src/config/deployment-schema.js';
import { createAnthropicAdapter } from '../../src/providers/anthropic/anthropic-adapter.js';
import { createOpenAiAdapter } from '../../src/providers/openai/openai-adapter.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { recordingHttp } from './fake-http.js';
import { simDeployment } from './test-config.js';

export const OPENAI_REPLY = {
  id: 'chatcmpl-upstream',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4.1-2025-04-14',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'four', refusal: null },
      finish_reason: 'stop',
      logprobs: null,
    },
  ],
  usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 },
};

export const CLAUDE_REPLY = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'four' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 9, output_tokens: 1 },
};

/** A deployment of `provider` named `name`, not simulated (its adapter is a test's). */
export const upstreamDeployment = (
  name: string,
  provider: string,
  extra: Record<string, unknown> = {},
) =>
  simDeployment(name, {
    provider: provider as never,
    model: name === 'claude' ? 'claude-sonnet-4-5' : 'gpt-4.1',
    simulation: undefined,
    ...extra,
  });

export function recordedUpstreams() {
  const openai = recordingHttp(JSON.stringify(OPENAI_REPLY));
  const azure = recordingHttp(JSON.stringify(OPENAI_REPLY));
  const anthropic = recordingHttp(JSON.stringify(CLAUDE_REPLY));
  return {
    /** The three deployments, for a test config. */
    deployments: [
      upstreamDeployment('gpt', 'openai'),
      upstreamDeployment('az', 'azure', {
        baseUrl: 'https://r.openai.azure.com',
        apiVersion: 'v1',
      }),
      upstreamDeployment('claude', 'anthropic'),
    ],
    /** Their adapters, built from the parsed config's deployments. */
    adapters(deployments: readonly DeploymentConfig[]): Record<string, ProviderAdapter> {
      const d = (name: string) => deployments.find((x) => x.name === name)!;
      return {
        gpt: createOpenAiAdapter(d('gpt'), openai.http, {}),
        az: createOpenAiAdapter(d('az'), azure.http, {}),
        claude: createAnthropicAdapter(d('claude'), anthropic.http, {}),
      };
    },
    sent: { gpt: openai.sent, az: azure.sent, claude: anthropic.sent },
  };
}
