// A batch as a client runs one through the `openai` SDK: upload the lines as a JSONL file, create a
// chat batch over it (with any request controls as headers), and poll until it has ended.
import { toFile } from 'openai';
import type OpenAI from 'openai';

const ENDED = ['completed', 'failed', 'cancelled', 'expired'];

/** Uploads `lines` and creates a `/v1/chat/completions` batch over them. */
export async function submitBatch(
  c: OpenAI,
  lines: object[],
  headers: Record<string, string> = {},
): Promise<OpenAI.Batch> {
  const file = await c.files.create({
    file: await toFile(
      Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n'),
      'in.jsonl',
    ),
    purpose: 'batch',
  });
  return c.batches.create(
    { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' },
    { headers },
  );
}

/** The batch once it has ended (completed, failed, cancelled, expired); throws after `ms`. */
export async function settle(c: OpenAI, id: string, ms = 15_000): Promise<OpenAI.Batch> {
  const until = Date.now() + ms;
  for (;;) {
    const b = await c.batches.retrieve(id);
    if (ENDED.includes(b.status)) return b;
    if (Date.now() > until) throw new Error(`batch ${id} still ${b.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
