import { describe, expect, it } from 'vitest';
import { jsonSchemaFault } from './json-schema-fault.js';

describe('jsonSchemaFault', () => {
  it('judges a schema by its text each time, the same object changed included', () => {
    const schema: Record<string, unknown> = {
      type: 'object',
      properties: { city: { type: 'string' } },
    };
    expect(jsonSchemaFault(schema)).toBeUndefined();
    expect(jsonSchemaFault(structuredClone(schema))).toBeUndefined();
    (schema.properties as { city: { type: string } }).city.type = 'str';
    expect(jsonSchemaFault(schema)).toMatch(/^\/properties\/city\/type must be equal to one of/);
    expect(jsonSchemaFault(structuredClone(schema))).toBe(jsonSchemaFault(schema));
    (schema.properties as { city: { type: string } }).city.type = 'string';
    expect(jsonSchemaFault(schema)).toBeUndefined();
  });

  it('reads draft-07 when $schema names it, and leaves a meta-schema it does not know alone', () => {
    const draft07 = 'http://json-schema.org/draft-07/schema#';
    expect(jsonSchemaFault({ $schema: draft07, type: 'object', items: [{}] })).toBeUndefined();
    expect(jsonSchemaFault({ type: 'object', items: [{}] })).toMatch(/^\/items must be/);
    const draft04 = 'http://json-schema.org/draft-04/schema#';
    expect(jsonSchemaFault({ $schema: draft04, type: 'str' })).toBeUndefined();
  });
});
