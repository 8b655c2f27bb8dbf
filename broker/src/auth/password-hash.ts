/**
 * Password hashes (scrypt, `scrypt$<N>$<r>$<p>$<salt>$<hash>`): the implementation lives in
 * @ganzhi/runtime so the ingest's hub operators use the same format and check without
 * depending on the broker.
 */
export { dummyHash, HASH_PATTERN, hashPassword, SCRYPT_DEFAULTS, verifyPassword } from '@ganzhi/runtime';
