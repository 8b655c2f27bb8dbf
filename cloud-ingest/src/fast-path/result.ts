import type { DataBatch } from '@ganzhi/device-profiles/contract';

/** What a fast path returns for a clean data batch: exactly what the reference path would. */
export interface FastBatch {
  batch: DataBatch;
  lines: string[];
  /** readings written as fields */
  points: number;
}
