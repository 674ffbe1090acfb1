// Live reconfiguration through the admin API: read router `model-router`, switch it to `cost` mode
// with a narrower model subset, show that the served models change, then restore what it was.
// No restart: the change applies to the next request. Needs MODEL_ROUTER_ADMIN_KEY.
const url = process.env.MODEL_ROUTER_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.MODEL_ROUTER_API_KEY ?? 'unused';
const adminKey = process.env.MODEL_ROUTER_ADMIN_KEY;
const ROUTER = `${url}/admin/v1/routers/model-router`;
const CHEAP_SUBSET = ['gpt-4.1-mini', 'gpt-4.1-nano', 'llama-3.3-70b', 'llama-3.1-8b'];
const PROMPTS = ['Hi!', 'What is 2+2?', 'Write a python function to sort a list', 'Explain TCP'];

async function call(method, target, key, body) {
  const res = await fetch(target, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${target}: HTTP ${res.status} ${json.error?.message}`);
  return { json, headers: res.headers };
}

const describe = (r) =>
  `mode ${r.routingMode}, subset [${r.modelSubset.join(', ')}], config revision ${r.config_revision}`;

/** Sends the prompts to the router; returns the deployments that served them. */
async function sendPrompts(label) {
  const served = [];
  for (const content of PROMPTS) {
    const body = { model: 'model-router', messages: [{ role: 'user', content }] };
    const { json, headers } = await call('POST', `${url}/v1/chat/completions`, apiKey, body);
    const deployment = headers.get('x-router-deployment');
    served.push(deployment);
    const mode = `[${headers.get('x-router-mode')}]`.padEnd(10);
    console.log(`  ${label} ${mode} ${content.padEnd(40)} served model: ${json.model}`);
  }
  return served;
}

async function main() {
  if (!adminKey) throw new Error('set MODEL_ROUTER_ADMIN_KEY to the key the server started with');
  const { json: original } = await call('GET', ROUTER, adminKey);
  console.log(`GET model-router: ${describe(original)}`);
  const before = await sendPrompts('before');
  try {
    const patch = { routingMode: 'cost', modelSubset: CHEAP_SUBSET };
    const { json: changed } = await call('PATCH', ROUTER, adminKey, patch);
    console.log(`PATCH model-router: ${describe(changed)}`);
    const after = await sendPrompts('after ');
    const outside = after.filter((d) => !CHEAP_SUBSET.includes(d));
    if (outside.length) throw new Error(`served outside the new subset: ${outside.join(', ')}`);
    const changedCount = after.filter((d, i) => d !== before[i]).length;
    console.log(`${changedCount} of ${PROMPTS.length} prompts went to a different deployment`);
  } finally {
    // Put back exactly the fields changed above, whatever happened in between.
    const restore = { routingMode: original.routingMode, modelSubset: original.modelSubset };
    const { json: restored } = await call('PATCH', ROUTER, adminKey, restore);
    console.log(`restored model-router: ${describe(restored)}`);
  }
}

main().catch((err) => {
  console.error(`admin-live-switch failed: ${err.message}`);
  process.exit(1);
});
