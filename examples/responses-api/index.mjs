// The Responses API through the router: a text request, a follow-up that continues the
// conversation with `previous_response_id` (the router keeps the earlier turns), and a streamed
// request printing `response.output_text.delta` events. `response.model` is the served model.
import OpenAI from 'openai';

const url = process.env.MODEL_ROUTER_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.MODEL_ROUTER_API_KEY ?? 'unused';
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey });

function show(label, response) {
  if (response.status !== 'completed') throw new Error(`${label}: status ${response.status}`);
  if (!response.output_text) throw new Error(`${label}: no output text`);
  console.log(`${label}: ${response.id}`);
  console.log(`  served model: ${response.model}`);
  console.log(`  tokens: ${response.usage?.input_tokens} in, ${response.usage?.output_tokens} out`);
  console.log(`  text: ${response.output_text.replace(/\s+/g, ' ').slice(0, 120)}…`);
}

async function main() {
  console.log(`POST ${url}/v1/responses  model=model-router`);
  const first = await client.responses.create({
    model: 'model-router',
    instructions: 'Be brief.',
    input: 'What is a vector database?',
  });
  show('first', first);

  const followUp = await client.responses.create({
    model: 'model-router',
    input: 'Give one example of when to use one.',
    previous_response_id: first.id,
  });
  show('follow-up', followUp);
  if (followUp.previous_response_id !== first.id) throw new Error('the follow-up lost its parent');
  // The whole conversation was sent upstream, so the follow-up has more input tokens.
  console.log(`  continues ${followUp.previous_response_id}`);

  const stream = await client.responses.create({
    model: 'model-router',
    input: 'Write a haiku about routers.',
    stream: true,
  });
  let completed;
  let deltas = 0;
  process.stdout.write('streamed: ');
  for await (const event of stream) {
    if (event.type === 'response.output_text.delta') {
      process.stdout.write(event.delta);
      deltas++;
    } else if (event.type === 'response.completed') completed = event.response;
  }
  process.stdout.write('\n');
  if (!completed || deltas === 0) throw new Error('the stream did not complete with text');
  console.log(`  served model: ${completed.model}`);
  console.log(
    `  ${deltas} output_text.delta events, ${completed.usage?.output_tokens} output tokens`,
  );
}

main().catch((err) => {
  console.error(`responses-api failed: ${err.message}`);
  process.exit(1);
});
