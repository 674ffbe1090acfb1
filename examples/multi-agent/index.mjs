// A planner agent splits a task into 3 steps; worker agents (in parallel) each solve a step with a
// local `lookup` tool. Every call goes to the router, which picks a model per call. Cost is priced
// from GET /v1/models and compared with the top model for the same tokens.
import OpenAI from 'openai';

const url = process.env.MODEL_ROUTER_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.MODEL_ROUTER_API_KEY ?? 'unused';
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey });
const TASK = 'Write a one-page briefing on running a 24/7 customer-support chatbot.';
const FIXED_STEPS = ['List the main cost drivers', 'Estimate monthly traffic', 'Recommend models'];
const topModels = new Set(); // the deployments the router rated best, per call
const FACTS = { traffic: '40,000 conversations a month', cost: 'tokens dominate the bill' };
const LOOKUP = {
  type: 'function',
  function: {
    name: 'lookup',
    description: 'Look up a fact by topic.',
    parameters: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] },
  },
};

async function getJson(path) {
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${apiKey}` } });
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return res.json();
}

/** USD at a deployment's list prices (per 1M tokens); cached prompt tokens at the cached rate. */
function costOf(p, usage) {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const input = (usage.prompt_tokens - cached) * p.inputPer1M;
  const cachedInput = cached * (p.cachedInputPer1M ?? p.inputPer1M);
  return (input + cachedInput + usage.completion_tokens * p.outputPer1M) / 1e6;
}

/** One agent turn, tallied in `row`. Top model: the receipt's highest predicted quality. */
async function ask(row, prices, messages, tools) {
  const { data, response } = await client.chat.completions
    .create({ model: 'model-router', messages, tools })
    .withResponse();
  const decisionId = response.headers.get('x-router-decision-id');
  const receipt = await getJson(`/v1/router/decisions/${decisionId}`);
  const [top] = receipt.candidates
    .filter((c) => c.eligible)
    .sort((a, b) => b.predictedQuality - a.predictedQuality);
  row.models.add(data.model);
  topModels.add(top.deployment);
  row.tokens += data.usage.total_tokens;
  row.cost += costOf(prices.get(response.headers.get('x-router-deployment')), data.usage);
  row.topCost += costOf(prices.get(top.deployment), data.usage);
  return data.choices[0].message;
}

/** A worker agent: runs the lookup tool calls locally until the model answers in text. */
async function work(row, prices) {
  const content = `Task: ${TASK}\nYour step: ${row.step}. Use the lookup tool for facts.`;
  const messages = [{ role: 'user', content }];
  for (let round = 0; round < 4; round++) {
    const message = await ask(row, prices, messages, [LOOKUP]);
    if (!message.tool_calls?.length) return row;
    messages.push(message);
    row.toolCalls += message.tool_calls.length;
    for (const call of message.tool_calls) {
      const topic = String(JSON.parse(call.function.arguments || '{}').topic ?? '');
      const fact = Object.entries(FACTS).find(([key]) => topic.includes(key))?.[1] ?? 'no entry';
      messages.push({ role: 'tool', tool_call_id: call.id, content: fact });
    }
  }
  throw new Error(`worker "${row.step}" did not finish in 4 rounds`);
}

function newRow(step) {
  return { step, models: new Set(), toolCalls: 0, tokens: 0, cost: 0, topCost: 0 };
}

async function main() {
  const models = (await getJson('/v1/models')).data;
  const prices = new Map(models.map((m) => [m.id, m.prices_per_1m_usd]));
  const planRow = newRow('plan (planner agent)');
  const ask3 = `Split this task into exactly 3 numbered steps, one per line:\n${TASK}`;
  const plan = await ask(planRow, prices, [{ role: 'user', content: ask3 }]);
  const steps = (plan.content ?? '')
    .split('\n')
    .map((l) => /^\s*\d+[.)]\s*(.+\S)/.exec(l)?.[1])
    .filter(Boolean);
  // Simulated models answer with synthetic text, so the plan often has no numbered lines.
  const chosen = steps.length >= 3 ? steps.slice(0, 3) : FIXED_STEPS;
  if (chosen === FIXED_STEPS) console.log('planner: no 3 numbered steps, using the fixed steps');
  const rows = [planRow, ...(await Promise.all(chosen.map((s) => work(newRow(s), prices))))];

  const line = (...cols) =>
    console.log(cols.map((c, i) => (i < 2 ? c.padEnd([28, 40][i]) : c.padStart(9))).join(' '));
  line('step', 'served model', 'tool calls', 'tokens', 'cost USD');
  for (const r of rows) {
    const cells = [r.step.slice(0, 28), [...r.models].join('+'), `${r.toolCalls}`, `${r.tokens}`];
    line(...cells, r.cost.toFixed(6));
  }
  const sum = (key) => rows.reduce((s, r) => s + r[key], 0);
  line('total', '', `${sum('toolCalls')}`, `${sum('tokens')}`, sum('cost').toFixed(6));
  const saved = ((1 - sum('cost') / sum('topCost')) * 100).toFixed(1);
  const top = [...topModels].join('+');
  console.log(`always the top model (${top}), same tokens: $${sum('topCost').toFixed(6)}`);
  console.log(`routed: $${sum('cost').toFixed(6)}, ${saved}% saved`);
}

main().catch((err) => {
  console.error(`multi-agent failed: ${err.message}`);
  process.exit(1);
});
