/**
 * The completeness figures as line protocol, measurement `ingest_completeness`, one line
 * per gateway, tags district + gateway, cumulative float fields, time = when written.
 */
import type { GatewayFigures } from './tracker.js';

export const COMPLETENESS_MEASUREMENT = 'ingest_completeness';

export function completenessLines(figures: readonly GatewayFigures[], now: number): string[] {
  return figures.map(
    (g) =>
      `${COMPLETENESS_MEASUREMENT},district=${g.district},gateway=${g.gateway} ` +
      `received=${g.received},missing=${g.missing},duplicates=${g.duplicates},late=${g.late},` +
      `streams=${g.streams},last_seq=${g.lastSeq} ${now}`,
  );
}
