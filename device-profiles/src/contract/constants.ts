/**
 * Wire contract v1 — its constants, in one place: the version, the id and name patterns, and
 * the limits that keep one message from exhausting a receiver. The TypeBox schemas
 * (envelopes.ts), the topic grammar (topics.ts), the InfluxDB mapping (influx.ts), the
 * ingest's fast decoders, the broker's ACL and the agent's config all take them from here;
 * nobody writes a pattern out again.
 */

export const ENVELOPE_VERSION = 1;

/** district, gateway and device ids: lower case, no MQTT separator or wildcard can appear */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** a profile id, which is also the `model` of a data batch and the `model` tag */
export const PROFILE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;
/** an InfluxDB measurement a profile writes to */
export const MEASUREMENT_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
/** a point name (an InfluxDB field key; also the key of a status counter) */
export const POINT_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
/** a gateway stream id, fixed when the gateway's store was created */
export const STREAM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Field-name suffix the InfluxDB mapping uses for the reason of a reading that is not good;
 * a point may therefore not be named `<x>_reason`.
 */
export const REASON_SUFFIX = '_reason';

/**
 * A lone UTF-16 surrogate (possible through a JSON `\ud800` escape): such text cannot be
 * written as UTF-8 and would be stored altered, so the receiver refuses it.
 */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Limits that keep one message from exhausting a receiver. */
export const LIMITS = {
  /** readings in one data batch */
  maxReadings: 10_000,
  /** characters in a string value */
  maxStringValue: 1024,
  /** characters in a quality reason */
  maxReason: 256,
  /** characters in a unit */
  maxUnit: 32,
  /** devices listed in one gateway birth message */
  maxBirthDevices: 4096,
  /** points listed in one device meta message */
  maxMetaPoints: 4096,
  /** readings older than this are rejected (2000-01-01T00:00:00Z) */
  minTs: 946_684_800_000,
  /** readings further than this ahead of the receiver's clock are rejected (device clock skew allowance) */
  maxFutureMs: 24 * 3600 * 1000,
} as const;
