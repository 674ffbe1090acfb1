// The Responses API's WebSocket mode through the router (the `openai` SDK's ResponsesWS): one
// connection, two turns. The second continues the first with `previous_response_id` and only its new
// input, even with `store: false`: the router keeps each lane's latest response on the connection.
// Each turn's text streams as `response.output_text.delta` events; `response.model` is the served
// model.
import OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';

const url = process.env.MODEL_ROUTER_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.MODEL_ROUTER_API_KEY ?? 'unused';
const ws = new ResponsesWS(new OpenAI({ baseURL: `${url}/v1`, apiKey }));

const turns = ['Write a haiku about autumn rain.', 'Now one about snow.'];
let deltas = 0;
let previous;

function fail(message) {
  console.error(`responses-websocket failed: ${message}`);
  ws.close();
  process.exitCode = 1;
}

ws.on('response.output_text.delta', (event) => {
  if (deltas++ === 0) process.stdout.write('  text: ');
  process.stdout.write(event.delta);
});
ws.on('response.completed', ({ response }) => {
  process.stdout.write('\n');
  if (deltas === 0) return fail(`${response.id} completed with no text`);
  console.log(`  ${response.id}: served model: ${response.model} (${deltas} deltas)`);
  if ((response.previous_response_id ?? undefined) !== previous)
    return fail(`${response.id} continues ${response.previous_response_id}, not ${previous}`);
  if (previous) console.log(`  continues ${previous}`);
  previous = response.id;
  deltas = 0;
  const input = turns.shift();
  if (input === undefined) return ws.close();
  console.log(`turn 2 over the same connection: ${input}`);
  ws.send({
    type: 'response.create',
    model: 'model-router',
    input,
    previous_response_id: response.id,
    store: false,
  });
});
// An `error` event (a refused turn) or a failed connection.
ws.on('error', (err) => fail(err.message));

const first = turns.shift();
console.log(`WebSocket ${url.replace(/^http/, 'ws')}/v1/responses  model=model-router`);
console.log(`turn 1: ${first}`);
ws.send({ type: 'response.create', model: 'model-router', input: first, store: false });
