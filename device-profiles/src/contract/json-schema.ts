/**
 * JSON Schemas of the contract v1 envelopes, generated from the TypeBox definitions in
 * envelopes.ts and committed under schema/contract-v1/ for other languages and tools. A test
 * fails when the committed files and this function disagree; regenerate them with
 * `npm run emit-schema -w device-profiles` after `npx tsc -b`.
 */
import { CONTRACT_SCHEMAS } from './envelopes.js';

export const CONTRACT_SCHEMA_DIR = 'schema/contract-v1';

/** File name (without directory) → exact file text. */
export function contractJsonSchemaFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, schema] of Object.entries(CONTRACT_SCHEMAS)) {
    const plain = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
    const doc = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: `Ganzhi wire contract v1: ${name}`,
      description: 'See docs/contract-v1.md.',
      ...plain,
    };
    out[`${name}.schema.json`] = `${JSON.stringify(doc, null, 2)}\n`;
  }
  return out;
}
