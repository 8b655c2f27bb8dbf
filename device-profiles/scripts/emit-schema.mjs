#!/usr/bin/env node
// Writes device-profiles/schema/profile.schema.json and schema/contract-v1/*.schema.json from
// the built TypeBox schemas. Run after `npx tsc -b`:  npm run emit-schema -w device-profiles
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CONTRACT_SCHEMA_DIR,
  contractJsonSchemaFiles,
  PROFILE_SCHEMA_FILE,
  profileJsonSchemaText,
} from '../dist/index.js';

const at = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));
writeFileSync(at(PROFILE_SCHEMA_FILE), profileJsonSchemaText());
console.log(`wrote ${at(PROFILE_SCHEMA_FILE)}`);
mkdirSync(at(CONTRACT_SCHEMA_DIR), { recursive: true });
for (const [name, text] of Object.entries(contractJsonSchemaFiles())) {
  writeFileSync(at(`${CONTRACT_SCHEMA_DIR}/${name}`), text);
  console.log(`wrote ${at(`${CONTRACT_SCHEMA_DIR}/${name}`)}`);
}
