/**
 * STX/ETX framed ASCII lines (Gill instruments, Campbell Scientific MetSENS weather sensors):
 * `<STX>body<ETX>HH`, HH the XOR of the body bytes — STX and ETX excluded — as two upper-case
 * hex digits; the line terminator follows.
 */

export const STX = '\x02';
export const ETX = '\x03';

export function stxEtxChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i) & 0xff;
  return x.toString(16).toUpperCase().padStart(2, '0');
}

/** The frame around `body`; `badChecksum` sends a checksum that never matches (fault injection). */
export function stxEtxFrame(body: string, badChecksum = false): string {
  // XOR with 'x' (0x78) more in the sum can never give the right value
  return `${STX}${body}${ETX}${stxEtxChecksum(badChecksum ? `${body}x` : body)}`;
}
