import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTRACT_SCHEMA_DIR, contractJsonSchemaFiles } from '../src/contract/json-schema.js';
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
    expect(schema.properties.points.items.anyOf).toHaveLength(6);
    expect(schema.required).toContain('points');
  });
});

describe('schema/contract-v1/*.schema.json', () => {
  it('are the JSON Schemas generated from the TypeBox envelopes (run `npm run emit-schema -w device-profiles` if not)', () => {
    const files = contractJsonSchemaFiles();
    expect(Object.keys(files).sort()).toEqual([
      'command-request.schema.json',
      'command-result.schema.json',
      'config-state.schema.json',
      'data-batch.schema.json',
      'desired-config.schema.json',
      'device-meta.schema.json',
      'device-status.schema.json',
      'gateway-state.schema.json',
    ]);
    for (const [name, text] of Object.entries(files)) {
      const committed = readFileSync(
        fileURLToPath(new URL(`../${CONTRACT_SCHEMA_DIR}/${name}`, import.meta.url)),
        'utf8',
      );
      expect(committed, name).toBe(text);
    }
  });
});
