/**
 * Username/password check for OPC-UA sessions. Both sides are hashed to a fixed length
 * and compared with timingSafeEqual, and every configured user is compared every time,
 * so neither the password nor which usernames exist leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { OpcuaUser } from './options.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export type UserCheck = (username: string, password: string) => boolean;

export function makeUserCheck(users: readonly OpcuaUser[]): UserCheck {
  const table = users.map((u) => ({ user: digest(u.username), pass: digest(u.password) }));
  return (username, password) => {
    const user = digest(username);
    const pass = digest(password);
    let ok = false;
    for (const entry of table) {
      // bitwise & on purpose: both comparisons always run
      const match = Number(timingSafeEqual(entry.user, user)) & Number(timingSafeEqual(entry.pass, pass));
      ok = ok || match === 1;
    }
    return ok;
  };
}
