import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CredentialsSchema } from './auth/credentials.js';
import { ConfigSchema, validateConfig } from './config.js';

const at = (p: string) => fileURLToPath(new URL(p, import.meta.url));

describe('shipped schemas and sample', () => {
  // Regenerate with: GZ_WRITE_SCHEMA=1 npx vitest run broker/src/config-schema.test.ts
  it.each([
    ['../schema/broker-config.schema.json', ConfigSchema],
    ['../schema/broker-users.schema.json', CredentialsSchema],
  ])('%s matches the TypeBox schema', async (file, schema) => {
    const text = `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }, null, 2)}\n`;
    if (process.env.GZ_WRITE_SCHEMA) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(at(file), text);
    }
    expect(JSON.parse(readFileSync(at(file), 'utf8'))).toEqual(JSON.parse(text));
  });

  it('config.sample.yaml is valid', () => {
    expect(validateConfig(parse(readFileSync(at('../config.sample.yaml'), 'utf8')))).toEqual([]);
  });
});
