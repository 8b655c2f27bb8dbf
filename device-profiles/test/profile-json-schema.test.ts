import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROFILE_SCHEMA_FILE, profileJsonSchemaText } from '../src/profile-json-schema.js';

describe('schema/profile.schema.json', () => {
  it('is the JSON Schema generated from the TypeBox profile schema (run `npm run emit-schema -w device-profiles` after `npx tsc -b` if not)', () => {
    const committed = readFileSync(
      fileURLToPath(new URL(`../${PROFILE_SCHEMA_FILE}`, import.meta.url)),
      'utf8',
    );
    expect(committed).toBe(profileJsonSchemaText());
  });

  it('is plain draft-07 JSON Schema describing the binding union', () => {
    const schema = JSON.parse(profileJsonSchemaText());
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.properties.points.items.anyOf).toHaveLength(3);
    expect(schema.required).toContain('points');
  });
});
