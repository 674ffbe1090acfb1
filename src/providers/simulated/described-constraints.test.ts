// The simulated fleet reads the bounds @anthropic-ai/sdk's structured-output helpers move into a
// field's description (they validate the answer against the full zod schema afterwards).
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { withDescribedConstraints } from './described-constraints.js';
import { valueForSchema } from './schema-value.js';

describe('withDescribedConstraints', () => {
  it("values for the SDK's schemas pass their zod schema: bounds, lengths, pattern, item counts, multipleOf", () => {
    const schemas = {
      bounds: z.object({ n: z.number().int().min(10).max(20), below: z.number().lt(-3) }),
      lengths: z.object({ s: z.string().min(7).max(9), code: z.string().length(4) }),
      pattern: z.object({ sku: z.string().regex(/^[A-Z]{3}-\d{4}$/) }),
      items: z.object({ tags: z.array(z.string()).min(3).max(4) }),
      step: z.object({ k: z.number().int().multipleOf(7).min(50) }),
      described: z.object({
        n: z.number().min(5).describe('How many, "at least" five, {roughly}'),
      }),
      nested: z.object({ rows: z.array(z.object({ qty: z.number().int().positive().max(3) })) }),
    };
    for (const [name, schema] of Object.entries(schemas)) {
      const sent = zodOutputFormat(schema).schema;
      expect(JSON.stringify(sent), name).not.toMatch(/"(minimum|maxLength|pattern|minItems)"/);
      const value = valueForSchema(sent, 'answer');
      expect(schema.safeParse(value).error?.issues, name).toBeUndefined();
    }
  });

  it('an enum or const moved into the description (@anthropic-ai/sdk 0.x, under LangChain)', () => {
    // As ChatAnthropic's withStructuredOutput(…, { method: 'jsonSchema' }) sends z.enum and
    // z.literal fields: before, the fleet answered "simulated kind", which the enum refuses.
    const sent = {
      type: 'object',
      properties: {
        kind: { type: 'string', description: '{enum: ["person","company"]}' },
        version: { type: 'integer', description: 'Schema version\n\n{const: 2}' },
      },
      required: ['kind', 'version'],
      additionalProperties: false,
    };
    const schema = z.object({ kind: z.enum(['person', 'company']), version: z.literal(2) });
    expect(schema.safeParse(valueForSchema(sent, 'answer')).error?.issues).toBeUndefined();
  });

  it("the schema's own keywords win, and a description that is no such trailer changes nothing", () => {
    expect(
      withDescribedConstraints({ type: 'integer', minimum: 1, description: '{minimum: 10}' }),
    ).toEqual({ type: 'integer', minimum: 1, description: '{minimum: 10}' });
    for (const description of [
      'a count {the more the better}',
      '{minimum: ten}',
      '{minimum: 10 maximum: 20}',
      '{title: "x"}',
      `${'x'.repeat(5000)}{minimum: 10}`,
    ])
      expect(withDescribedConstraints({ type: 'number', description }), description).toEqual({
        type: 'number',
        description,
      });
    expect(
      withDescribedConstraints({
        type: 'string',
        description: 'A code\n\n{pattern: "^a, b: [c]$", maxLength: 9}',
      }),
    ).toMatchObject({ pattern: '^a, b: [c]$', maxLength: 9 });
  });
});
