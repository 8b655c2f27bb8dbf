/**
 * The data batch header rules both fast paths check, from the contract's own constants:
 * the ids are the topic's and contract ids, model, measurement and stream match their
 * patterns, and the header has exactly the contract's keys.
 */
import {
  DataBatch,
  ID_PATTERN,
  MEASUREMENT_PATTERN,
  PROFILE_ID_PATTERN,
  STREAM_PATTERN,
  type TopicIds,
} from '@ganzhi/device-profiles/contract';

/** v district gateway device model measurement stream seq sent readings */
export const HEADER_KEYS: number = Object.keys(DataBatch.properties).length;

/** True when the header's names are clean (numbers are each path's own business). */
export function cleanNames(
  district: unknown,
  gateway: unknown,
  device: unknown,
  model: unknown,
  measurement: unknown,
  stream: unknown,
  ids: TopicIds,
): boolean {
  return (
    district === ids.district &&
    gateway === ids.gateway &&
    device === ids.device &&
    ID_PATTERN.test(ids.district) &&
    ID_PATTERN.test(ids.gateway) &&
    ID_PATTERN.test(ids.device) &&
    typeof model === 'string' &&
    PROFILE_ID_PATTERN.test(model) &&
    typeof measurement === 'string' &&
    MEASUREMENT_PATTERN.test(measurement) &&
    typeof stream === 'string' &&
    STREAM_PATTERN.test(stream)
  );
}
