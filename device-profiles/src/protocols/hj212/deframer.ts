/**
 * Streaming HJ 212 deframer for a TCP connection from a data logger: packets
 * `##LLLL<segment>CCCC\r\n` cut from arbitrary pieces. Bytes before `##` are garbage; a
 * packet whose length field is not 4 digits or too large, whose CR LF is missing, or whose
 * CRC is wrong is refused with the reason and the search resumes one byte after its `##`. A
 * candidate is also refused before its announced length has arrived once a byte that cannot be
 * in it (a control byte, such as the CR LF of the packet after it) shows up: the HJ 212-2017 §6.3.1
 * data segment and CRC are ASCII text (decodePacket refuses any other byte), so a noise `##` with a long length never holds
 * back the packets behind it.
 */
import {
  ByteQueue,
  countRefusal,
  type Deframed,
  type Deframer,
  type DeframerStats,
  newStats,
} from '../deframe.js';
import { decodePacket, MAX_SEGMENT } from './packet.js';

export interface Packet {
  segment: string;
  crc: string;
}

export class Hj212Deframer implements Deframer<Packet> {
  readonly stats: DeframerStats = newStats();
  private readonly q = new ByteQueue();
  /** bytes [6, printableTo) of the packet at the head are known to be printable (not scanned again) */
  private printableTo = 6;

  constructor(private readonly maxSegment = MAX_SEGMENT) {}

  get pending(): number {
    return this.q.length;
  }

  push(chunk: Uint8Array): Deframed<Packet>[] {
    this.q.push(chunk);
    const out: Deframed<Packet>[] = [];
    for (;;) {
      let skip = 0;
      const isStart = (i: number) =>
        this.q.at(i) === 0x23 &&
        (i + 1 >= this.q.length || this.q.at(i + 1) === 0x23) &&
        (i + 2 >= this.q.length || this.q.at(i + 2) !== 0x23); // "###": the first # is noise
      while (skip < this.q.length && !isStart(skip)) skip++;
      this.stats.garbageBytes += skip;
      this.dropHead(skip);
      if (this.q.length < 6) return out;
      let len = 0;
      let digits = true;
      for (let i = 2; i < 6; i++) {
        const c = this.q.at(i);
        if (c < 0x30 || c > 0x39) digits = false;
        else len = len * 10 + (c - 0x30);
      }
      if (!digits) {
        out.push(this.refuse(this.q.slice(0, 6), 'length: the 4 characters after ## are not digits'));
        this.dropHead(1);
        continue;
      }
      if (len > this.maxSegment) {
        out.push(
          this.refuse(this.q.slice(0, 6), `length: data segment of ${len} bytes exceeds ${this.maxSegment}`),
        );
        this.dropHead(1);
        continue;
      }
      const total = 12 + len;
      if (this.q.length < total) {
        // Waiting for the rest, unless what has come already cannot be this packet: its data
        // segment and CRC are printable ASCII, so a CR, LF or other control byte before the
        // announced end means the "##" was noise (or the length corrupt). Refused now, so a
        // good packet behind it is not held back until the announced length has arrived.
        const to = Math.min(this.q.length, 10 + len);
        const bad = this.firstUnprintable(Math.max(6, this.printableTo), to);
        if (bad < 0) {
          this.printableTo = to;
          return out;
        }
        out.push(
          this.refuse(
            this.q.slice(0, bad + 1),
            `length: ${len} announced, but byte 0x${this.q.at(bad).toString(16).padStart(2, '0')} at offset ${bad} is not printable ASCII`,
          ),
        );
        this.dropHead(1);
        continue;
      }
      const raw = this.q.slice(0, total);
      const r = decodePacket(raw, this.maxSegment);
      if (!r.ok) {
        out.push(this.refuse(raw, r.reason));
        this.dropHead(1);
        continue;
      }
      this.stats.frames++;
      out.push({ ok: true, frame: { segment: r.segment, crc: r.crc }, raw });
      this.dropHead(total);
    }
  }

  flush(): Deframed<Packet>[] {
    if (this.q.length === 0) return [];
    const raw = this.q.slice(0, this.q.length);
    this.q.clear();
    this.printableTo = 6;
    return [this.refuse(raw, `truncated: ${raw.length} bytes of an unfinished packet`)];
  }

  /** Drops `n` bytes; the head is then another candidate, its bytes not yet scanned. */
  private dropHead(n: number): void {
    if (n === 0) return;
    this.q.drop(n);
    this.printableTo = 6;
  }

  /** The offset of the first byte in [from, to) outside printable ASCII, or -1. */
  private firstUnprintable(from: number, to: number): number {
    for (let i = from; i < to; i++) {
      const b = this.q.at(i);
      if (b < 0x20 || b > 0x7e) return i;
    }
    return -1;
  }

  private refuse(raw: Uint8Array, reason: string): Deframed<Packet> {
    countRefusal(this.stats, reason);
    return { ok: false, reason, raw };
  }
}
