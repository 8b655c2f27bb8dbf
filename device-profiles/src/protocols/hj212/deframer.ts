/**
 * Streaming HJ 212 deframer for a TCP connection from a data logger: packets
 * `##LLLL<segment>CCCC\r\n` cut from arbitrary pieces. Bytes before `##` are garbage; a
 * packet whose length field is not 4 digits or too large, whose CR LF is missing, or whose
 * CRC is wrong is refused with the reason and the search resumes one byte after its `##`.
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
      this.q.drop(skip);
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
        this.q.drop(1);
        continue;
      }
      if (len > this.maxSegment) {
        out.push(
          this.refuse(this.q.slice(0, 6), `length: data segment of ${len} bytes exceeds ${this.maxSegment}`),
        );
        this.q.drop(1);
        continue;
      }
      const total = 12 + len;
      if (this.q.length < total) return out;
      const raw = this.q.slice(0, total);
      const r = decodePacket(raw, this.maxSegment);
      if (!r.ok) {
        out.push(this.refuse(raw, r.reason));
        this.q.drop(1);
        continue;
      }
      this.stats.frames++;
      out.push({ ok: true, frame: { segment: r.segment, crc: r.crc }, raw });
      this.q.drop(total);
    }
  }

  flush(): Deframed<Packet>[] {
    if (this.q.length === 0) return [];
    const raw = this.q.slice(0, this.q.length);
    this.q.clear();
    return [this.refuse(raw, `truncated: ${raw.length} bytes of an unfinished packet`)];
  }

  private refuse(raw: Uint8Array, reason: string): Deframed<Packet> {
    countRefusal(this.stats, reason);
    return { ok: false, reason, raw };
  }
}
