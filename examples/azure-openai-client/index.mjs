// The same chat completion through the `AzureOpenAI` client: existing Azure OpenAI code points its
// endpoint at the router and uses the router deployment name. The SDK calls
// POST {endpoint}/openai/deployments/model-router/chat/completions?api-version=2024-10-21.
import { AzureOpenAI } from 'openai';

const url = process.env.MODEL_ROUTER_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.MODEL_ROUTER_API_KEY ?? 'unused'; // sent as the `api-key` header
const apiVersion = '2024-10-21';
const deployment = 'model-router';
const client = new AzureOpenAI({ endpoint: url, apiKey, apiVersion, deployment });

async function main() {
  console.log(
    `POST ${url}/openai/deployments/${deployment}/chat/completions?api-version=${apiVersion}`,
  );
  const { data, response } = await client.chat.completions
    .create({
      model: deployment, // Azure routes by the deployment in the path; `model` is informational
      messages: [{ role: 'user', content: 'Name three uses of a message queue.' }],
      max_tokens: 200,
    })
    .withResponse();

  const answer = data.choices[0]?.message?.content;
  if (!answer) throw new Error('the reply has no text');
  console.log(`answer: ${answer}`);
  console.log(`served model: ${data.model}`);
  console.log(`deployment: ${response.headers.get('x-router-deployment')}`);
  console.log(`region: ${response.headers.get('x-router-region')}`);
  const warnings = response.headers.get('x-router-warnings');
  if (warnings) console.log(`router warnings: ${warnings}`);
  console.log(`finish reason: ${data.choices[0]?.finish_reason}`);
}

main().catch((err) => {
  console.error(`azure-openai-client failed: ${err.message}`);
  process.exit(1);
});
