// The Batch API through the router: a JSONL file of prompts of different kinds is uploaded,
// a batch is created over it in Cost mode (one header for the whole batch), polled until it ends,
// and its output read: which model served each line, and the batch's spend and savings from the
// request log (every line carries the tag batch:<id>).
import OpenAI, { toFile } from 'openai';

const url = process.env.MODEL_ROUTER_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.MODEL_ROUTER_API_KEY ?? 'unused';
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey });

const PROMPTS = {
  greeting: 'Say hello to a new colleague in one sentence.',
  sql: 'Write a SQL query that returns the ten customers with the highest total order value.',
  proof: 'Prove that the square root of 2 is irrational.',
  summary: 'Summarise the causes of the French Revolution in three bullet points.',
  regex: 'Write a regular expression that matches an ISO 8601 date such as 2026-12-01.',
  haiku: 'Write a haiku about autumn rain.',
};

async function main() {
  const lines = Object.entries(PROMPTS).map(([id, content]) =>
    JSON.stringify({
      custom_id: id,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'model-router', messages: [{ role: 'user', content }] },
    }),
  );
  const file = await client.files.create({
    file: await toFile(Buffer.from(lines.join('\n')), 'prompts.jsonl'),
    purpose: 'batch',
  });
  console.log(`uploaded ${file.id} (${file.bytes} bytes, ${lines.length} requests)`);
  let batch = await client.batches.create(
    { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' },
    { headers: { 'x-router-mode': 'cost' } },
  );
  console.log(`batch ${batch.id}: ${batch.status}`);
  const until = Date.now() + 120_000;
  while (!['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) {
    if (Date.now() > until) throw new Error(`the batch is still ${batch.status} after 2 minutes`);
    await new Promise((r) => setTimeout(r, 500));
    const next = await client.batches.retrieve(batch.id);
    if (next.status !== batch.status) console.log(`batch ${batch.id}: ${next.status}`);
    batch = next;
  }
  const counts = batch.request_counts;
  console.log(
    `requests: ${counts.completed} completed, ${counts.failed} failed of ${counts.total}`,
  );
  if (batch.status !== 'completed' || !batch.output_file_id)
    throw new Error(`the batch ended ${batch.status}`);

  const output = await (await client.files.content(batch.output_file_id)).text();
  console.log(`${'custom_id'.padEnd(10)} ${'served model'.padEnd(44)} answer`);
  for (const line of output.trim().split('\n')) {
    const { custom_id: id, response } = JSON.parse(line);
    const answer = response.body.choices[0].message.content.replace(/\s+/g, ' ').slice(0, 40);
    console.log(`${id.padEnd(10)} ${response.body.model.padEnd(44)} ${answer}`);
  }
  const usage = batch.usage;
  console.log(`tokens: ${usage.input_tokens} in + ${usage.output_tokens} out`);

  // Every line is in the request log with the tag batch:<id>: the batch's spend and savings.
  const res = await fetch(
    `${url}/v1/router/usage?since=1h&tag=${encodeURIComponent(`batch:${batch.id}`)}`,
    { headers: { authorization: `Bearer ${apiKey}` } },
  );
  if (res.ok) {
    const summary = await res.json();
    console.log(
      `cost: $${summary.costUsd.toFixed(6)} for ${summary.requests} requests, ${(100 * summary.savingsRatio).toFixed(0)}% less than the top model's $${summary.baselineCostUsd.toFixed(6)}`,
    );
  }
}

main().catch((err) => {
  console.error(`batch failed: ${err.message}`);
  process.exit(1);
});
