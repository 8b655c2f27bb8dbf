import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { IngestConfigSchema } from '../src/config.js';

it('schema/ingest-config.schema.json matches the TypeBox schema (node cloud-ingest/scripts/emit-schema.mjs)', () => {
  const file = JSON.parse(
    readFileSync(new URL('../schema/ingest-config.schema.json', import.meta.url), 'utf8'),
  );
  const { $schema: _s, title: _t, ...shipped } = file;
  expect(shipped).toEqual(JSON.parse(JSON.stringify(IngestConfigSchema)));
});
