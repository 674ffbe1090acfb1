// A streamed chat completion: prints each content delta as it arrives, then the usage the router
// sends in a last chunk because the request asks for it (`stream_options.include_usage`).
import OpenAI from 'openai';

const url = process.env.MODEL_ROUTER_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.MODEL_ROUTER_API_KEY ?? 'unused';
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey });

async function main() {
  console.log(`POST ${url}/v1/chat/completions  model=model-router  stream=true`);
  const { data: stream, response } = await client.chat.completions
    .create({
      model: 'model-router',
      messages: [{ role: 'user', content: 'Tell me a short story about a lighthouse.' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    .withResponse();
  // Headers arrive before the first chunk: the router has already picked the deployment.
  console.log(`deployment: ${response.headers.get('x-router-deployment')}`);

  let model;
  let usage;
  let finishReason;
  let deltas = 0;
  let text = '';
  process.stdout.write('answer: ');
  for await (const chunk of stream) {
    model ??= chunk.model;
    const choice = chunk.choices[0];
    if (choice?.delta?.content) {
      process.stdout.write(choice.delta.content);
      text += choice.delta.content;
      deltas++;
    }
    if (choice?.finish_reason) finishReason = choice.finish_reason;
    if (chunk.usage) usage = chunk.usage; // the last chunk: no choices, just usage
  }
  process.stdout.write('\n');

  if (!text) throw new Error('the stream carried no text');
  if (!usage) throw new Error('the stream ended without a usage chunk');
  console.log(`served model: ${model}`);
  console.log(`deltas: ${deltas}, finish reason: ${finishReason}`);
  console.log(
    `usage: ${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion = ${usage.total_tokens} tokens`,
  );
}

main().catch((err) => {
  console.error(`streaming failed: ${err.message}`);
  process.exit(1);
});
