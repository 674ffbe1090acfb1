// One chat completion through the router with the official `openai` SDK. The router picks a model
// for the prompt; the reply's `model` is the model that served, the headers say which deployment
// and why (`x-router-decision-id` → GET /v1/router/decisions/{id}).
import OpenAI from 'openai';

const url = process.env.MODEL_ROUTER_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.MODEL_ROUTER_API_KEY ?? 'unused'; // auth is off by default
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey });

async function main() {
  const prompt = 'Explain in two sentences what a model router does.';
  console.log(`POST ${url}/v1/chat/completions  model=model-router`);
  console.log(`prompt: ${prompt}`);

  // withResponse() gives the parsed reply and the raw HTTP response (for the routing headers).
  const { data, response } = await client.chat.completions
    .create({
      model: 'model-router',
      messages: [
        { role: 'system', content: 'You are a concise assistant.' },
        { role: 'user', content: prompt },
      ],
    })
    .withResponse();

  const answer = data.choices[0]?.message?.content;
  if (!answer) throw new Error('the reply has no text');
  console.log(`answer: ${answer}`);
  console.log(`served model: ${data.model}`);
  console.log(`deployment: ${response.headers.get('x-router-deployment')}`);
  console.log(`routing mode: ${response.headers.get('x-router-mode')}`);
  console.log(
    `usage: ${data.usage?.prompt_tokens} prompt + ${data.usage?.completion_tokens} completion tokens`,
  );

  // The decision receipt: the router's reason for this pick, in plain words.
  const decisionId = response.headers.get('x-router-decision-id');
  if (decisionId) {
    const res = await fetch(`${url}/v1/router/decisions/${decisionId}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    if (res.ok) console.log(`why: ${(await res.json()).summary}`);
  }
}

main().catch((err) => {
  console.error(`chat-openai-sdk failed: ${err.message}`);
  process.exit(1);
});
