// Web search through the router: a chat completion that asks for it (`web_search_options`), and an
// Anthropic client's web search tool on /v1/messages. Only deployments that search may answer
// (`capabilities.webSearch`; in the default config the simulated Claude, whose answer cites a
// made-up page); the citations come back as each API has them: `url_citation` annotations on the
// chat message, `web_search_result_location` citations on Anthropic's text blocks.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const url = process.env.MODEL_ROUTER_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.MODEL_ROUTER_API_KEY ?? 'unused';
const question = 'What happened in Lyon this week?';

async function main() {
  const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey });
  const { data: completion, response } = await openai.chat.completions
    .create({
      model: 'model-router',
      messages: [{ role: 'user', content: question }],
      web_search_options: {
        user_location: { type: 'approximate', approximate: { city: 'Lyon', country: 'FR' } },
      },
    })
    .withResponse();
  const message = completion.choices[0]?.message;
  console.log(`chat: served model: ${completion.model}`);
  console.log(`chat: deployment: ${response.headers.get('x-router-deployment')}`);
  const citations = message?.annotations ?? [];
  if (citations.length === 0) throw new Error('the answer cites no page');
  for (const a of citations)
    console.log(
      `chat: cites ${a.url_citation.url} ("${a.url_citation.title}") for characters ${a.url_citation.start_index}-${a.url_citation.end_index}`,
    );

  const anthropic = new Anthropic({ baseURL: url, apiKey });
  const reply = await anthropic.messages
    .stream({
      model: 'model-router',
      max_tokens: 1024,
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }],
      messages: [{ role: 'user', content: question }],
    })
    .finalMessage();
  console.log(`messages: served model: ${reply.model}`);
  const cited = reply.content.flatMap((b) => (b.type === 'text' ? (b.citations ?? []) : []));
  if (cited.length === 0) throw new Error('the streamed answer cites no page');
  for (const c of cited) console.log(`messages: cites ${c.url} ("${c.title}")`);
}

main().catch((err) => {
  console.error(`web-search failed: ${err.message}`);
  process.exit(1);
});
