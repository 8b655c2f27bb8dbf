import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'bdseq';

/**
 * The birth/death sequence number (Sparkplug 3.0 §4.2.1.1, tck-id-topics-nbirth-bdseq-increment):
 * 0 on the first CONNECT ever, +1 (mod 256) on every new CONNECT, kept in the state directory so
 * a restarted gateway goes on from where it was — a host then never mistakes the will of the
 * previous process for the death of the new session.
 */
export class BdSeq {
  private last: number | undefined;
  private readonly file: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, FILE);
    try {
      const v = Number(readFileSync(this.file, 'utf8').trim());
      if (Number.isInteger(v) && v >= 0 && v <= 255) this.last = v;
    } catch {
      // first start: the first CONNECT uses 0
    }
  }

  /** The value for the next CONNECT, persisted before it is used. */
  next(): number {
    const v = this.last === undefined ? 0 : (this.last + 1) % 256;
    writeFileSync(`${this.file}.tmp`, `${v}\n`);
    renameSync(`${this.file}.tmp`, this.file);
    this.last = v;
    return v;
  }

  /** The value of the current CONNECT. */
  get current(): number {
    return this.last ?? 0;
  }
}
