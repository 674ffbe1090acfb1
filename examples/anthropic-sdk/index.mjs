// The official `@anthropic-ai/sdk` against the router's Anthropic-compatible `POST /v1/messages`:
// code written for Claude uses the router (and so any model in its subset) unchanged. One plain
// request, then a streamed one. `message.model` is the model that served.
import Anthropic from '@anthropic-ai/sdk';

const url = process.env.MODEL_ROUTER_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.MODEL_ROUTER_API_KEY ?? 'unused'; // sent as the `x-api-key` header
const client = new Anthropic({ baseURL: url, apiKey });

function textOf(message) {
  return message.content
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');
}

async function main() {
  console.log(`POST ${url}/v1/messages  model=model-router`);
  const { data: message, response } = await client.messages
    .create({
      model: 'model-router',
      max_tokens: 300,
      system: 'Answer in one paragraph.',
      messages: [{ role: 'user', content: 'Why do teams put a gateway in front of LLM APIs?' }],
    })
    .withResponse();
  const text = textOf(message);
  if (!text) throw new Error('the message has no text');
  console.log(`answer: ${text}`);
  console.log(`served model: ${message.model}`);
  console.log(`deployment: ${response.headers.get('x-router-deployment')}`);
  console.log(
    `stop reason: ${message.stop_reason}, tokens: ${message.usage.input_tokens} in, ${message.usage.output_tokens} out`,
  );

  console.log(`POST ${url}/v1/messages  model=model-router  stream=true`);
  const stream = client.messages.stream({
    model: 'model-router',
    max_tokens: 300,
    messages: [{ role: 'user', content: 'Tell me a two-line poem about latency.' }],
  });
  process.stdout.write('streamed: ');
  stream.on('text', (delta) => process.stdout.write(delta));
  const final = await stream.finalMessage();
  process.stdout.write('\n');
  if (!textOf(final)) throw new Error('the stream carried no text');
  console.log(`served model: ${final.model}`);
  console.log(`stop reason: ${final.stop_reason}, tokens out: ${final.usage.output_tokens}`);
}

main().catch((err) => {
  console.error(`anthropic-sdk failed: ${err.message}`);
  process.exit(1);
});
