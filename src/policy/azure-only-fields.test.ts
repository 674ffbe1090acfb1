// Azure's `user_security_context` (AIFoundryOpenAI.json `userSecurityContext`), which Azure clients
// send for Microsoft Defender for Cloud: an Azure deployment gets it as sent; an OpenAI one, whose
// API answers 400 to a parameter it does not know, gets the request without it, and the client a
// warning that says so (a routed request would otherwise fail only where OpenAI was picked).
import { describe, expect, it } from 'vitest';
import { openaiDeployment } from '../../test/helpers/test-config.js';
import type { ChatRequest } from '../core/wire-types.js';
import { adaptRequestForDeployment } from './reasoning-params.js';

const context = { application_name: 'hr-bot', end_user_id: 'u-1', source_ip: '203.0.113.7' };
const request = {
  model: 'model-router',
  messages: [{ role: 'user', content: 'hi' }],
  user_security_context: context,
} as ChatRequest;

describe('user_security_context', () => {
  it('is dropped, with a warning, for an OpenAI deployment', () => {
    const { body, warnings } = adaptRequestForDeployment(request, openaiDeployment());
    expect(body).not.toHaveProperty('user_security_context');
    expect(warnings).toEqual([
      "user_security_context dropped: it is Azure OpenAI's, and OpenAI's API (gpt) has no such parameter",
    ]);
    // The client's request is left as it was (a fallback to Azure still sends it).
    expect(request.user_security_context).toEqual(context);
  });

  it('is sent as is to an Azure deployment', () => {
    const azure = openaiDeployment({
      name: 'az',
      provider: 'azure',
      baseUrl: 'https://r.openai.azure.com',
      apiVersion: '2024-10-21',
    });
    const { body, warnings } = adaptRequestForDeployment(request, azure);
    expect(body.user_security_context).toEqual(context);
    expect(warnings).toEqual([]);
  });
});
