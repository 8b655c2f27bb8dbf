#!/usr/bin/env node
// Writes device-profiles/schema/profile.schema.json from the built TypeBox schema.
// Run after `npx tsc -b`:  npm run emit-schema -w device-profiles
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROFILE_SCHEMA_FILE, profileJsonSchemaText } from '../dist/index.js';

const target = fileURLToPath(new URL(`../${PROFILE_SCHEMA_FILE}`, import.meta.url));
writeFileSync(target, profileJsonSchemaText());
console.log(`wrote ${target}`);
