#!/usr/bin/env node
// Writes schema/ingest-config.schema.json from the TypeBox schema (run after `npx tsc -b`),
// so editors can autocomplete and check ingest.yaml. test/config-schema.test.ts keeps it in sync.
import { writeFileSync } from 'node:fs';
import { IngestConfigSchema } from '../dist/index.js';

const url = new URL('../schema/ingest-config.schema.json', import.meta.url);
writeFileSync(
  url,
  `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'ganzhi-ingest configuration', ...IngestConfigSchema }, null, 2)}\n`,
);
console.log(`wrote ${url.pathname}`);
