// A tool-calling loop through the router: offer a `get_weather` tool, run each tool call the model
// makes locally, send the results back, and print the final answer. Only deployments that support
// tools are eligible, so the router never picks one that cannot call them.
import OpenAI from 'openai';

const url = process.env.MODEL_ROUTER_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.MODEL_ROUTER_API_KEY ?? 'unused';
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey });

const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city.',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string', description: 'City name, e.g. Oslo' } },
        required: ['city'],
      },
    },
  },
];

/** The local implementation of the tool (a real app would call a weather service). */
function getWeather({ city }) {
  return { city, temperatureC: 14, conditions: 'light rain' };
}

async function main() {
  const messages = [{ role: 'user', content: 'What is the weather in Oslo right now?' }];
  console.log(`user: ${messages[0].content}`);
  for (let round = 1; round <= 5; round++) {
    const reply = await client.chat.completions.create({ model: 'model-router', messages, tools });
    const message = reply.choices[0]?.message;
    if (!message) throw new Error('the reply has no choices');
    const finish = reply.choices[0].finish_reason;
    console.log(`round ${round}: served model: ${reply.model} (finish reason: ${finish})`);
    const calls = (message.tool_calls ?? []).filter((c) => c.type === 'function');
    if (calls.length === 0) {
      if (!message.content) throw new Error('the final reply has neither tool calls nor text');
      console.log(`assistant: ${message.content}`);
      return;
    }
    messages.push(message); // the assistant turn with its tool_calls, as the API expects
    for (const call of calls) {
      let result;
      try {
        const args = JSON.parse(call.function.arguments || '{}');
        result =
          call.function.name === 'get_weather' ? getWeather(args) : { error: 'unknown tool' };
      } catch {
        result = { error: 'arguments were not valid JSON' };
      }
      console.log(
        `tool call: ${call.function.name}(${call.function.arguments}) -> ${JSON.stringify(result)}`,
      );
      messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
    }
  }
  throw new Error('no final answer after 5 rounds of tool calls');
}

main().catch((err) => {
  console.error(`tools failed: ${err.message}`);
  process.exit(1);
});
