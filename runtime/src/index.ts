export { type BackoffPolicy, backoffDelay } from './backoff.js';
export { type Clock, ManualClock, sleep, systemClock, type TimerHandle } from './clock.js';
export { dummyHash, HASH_PATTERN, hashPassword, SCRYPT_DEFAULTS, verifyPassword } from './password-hash.js';
export { type Random, seededRandom, systemRandom } from './random.js';
