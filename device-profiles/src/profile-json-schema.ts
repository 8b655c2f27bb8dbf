/**
 * The JSON Schema of a device profile, generated from the TypeBox definition in
 * profile-schema.ts. The committed copy lives at schema/profile.schema.json (editors use it
 * through `# yaml-language-server: $schema=../schema/profile.schema.json`); regenerate it
 * with `npm run emit-schema -w device-profiles` after changing the schema. A test fails
 * when the committed file and this function disagree.
 */
import { Profile } from './profile-schema.js';

export const PROFILE_SCHEMA_FILE = 'schema/profile.schema.json';

export function profileJsonSchema(): Record<string, unknown> {
  // JSON round trip drops TypeBox's symbol-keyed metadata, leaving plain JSON Schema
  const plain = JSON.parse(JSON.stringify(Profile)) as Record<string, unknown>;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Ganzhi device profile',
    description:
      'One device model: its points and, for each point, one protocol binding (modbus, opcua or serial). See device-profiles/README.md.',
    ...plain,
  };
}

/** The exact text of schema/profile.schema.json. */
export function profileJsonSchemaText(): string {
  return `${JSON.stringify(profileJsonSchema(), null, 2)}\n`;
}
