/**
 * A modbus-serial "port" for RTU frames over any byte link (an RS-485 serial port, or a raw
 * TCP socket to a serial device server), framed by rtu-framer.ts. modbus-serial still builds
 * the requests and checks and decodes the replies; this port decides which bytes are the
 * reply to the request on the line:
 *
 * - a frame from the unit and function asked → the reply (modbus-serial then checks its
 *   length: a short reply with a valid CRC is `Data length error` → `bad frame`);
 * - the expected header with a wrong CRC → passed on, modbus-serial says `CRC error` → `crc`;
 * - a frame answering a request given up on (timed out) → a late reply: discarded, counted;
 * - any other frame (another slave answering: an address conflict, a gateway mixing up units)
 *   → a FrameFault for the request on the line → `bad frame`, and the request is given up on
 *   (its own reply may still come: it is then discarded as late).
 *
 * Bytes that start no frame are skipped (noise, the tail of a frame cut before).
 */
import { EventEmitter } from 'node:events';
import { FrameFault } from './fault.js';
import { RtuFramer } from './rtu-framer.js';

/** The byte link under the port: a connected socket or an open serial port. */
export interface ByteLink {
  write(data: Buffer): unknown;
  on(event: 'data', fn: (d: Buffer) => void): unknown;
  on(event: 'close', fn: () => void): unknown;
  on(event: 'error', fn: (e: Error) => void): unknown;
  close(): Promise<void>;
}

interface Asked {
  unit: number;
  fc: number;
}

/** requests given up on, remembered so that their late replies are recognised (newest last) */
const MAX_ABANDONED = 8;

export class RtuPort extends EventEmitter {
  /** modbus-serial keys its transactions by these */
  _transactionIdRead = 1;
  _transactionIdWrite = 1;
  private link: ByteLink | undefined;
  private open_ = false;
  private readonly framer = new RtuFramer();
  private current: (Asked & { tid: number }) | undefined;
  private abandoned: Asked[] = [];
  readonly stats = { frames: 0, lateDiscarded: 0, foreign: 0, skippedBytes: 0 };

  constructor(private readonly connect: () => Promise<ByteLink>) {
    super();
  }

  get isOpen(): boolean {
    return this.open_;
  }

  open(cb: (err?: Error | null) => void): void {
    this.connect().then(
      (link) => {
        this.link = link;
        this.open_ = true;
        link.on('data', (d) => this.onData(d));
        link.on('error', (e) => this.emit('error', e));
        link.on('close', () => {
          if (!this.open_) return;
          this.open_ = false;
          this.emit('close');
        });
        cb(null);
      },
      (err: Error) => cb(err),
    );
  }

  close(cb?: (err?: Error | null) => void): void {
    const link = this.link;
    this.link = undefined;
    const wasOpen = this.open_;
    this.open_ = false;
    const done = () => {
      if (wasOpen) this.emit('close');
      cb?.(null);
    };
    if (link) link.close().then(done, done);
    else done();
  }

  write(data: Buffer): void {
    if (this.current) this.abandon();
    // modbus-serial filed this request under the id before the write (as its TCP port does)
    this.current = { unit: data[0]!, fc: data[1]!, tid: this._transactionIdWrite };
    this._transactionIdWrite = (this._transactionIdWrite % 0xffff) + 1;
    this.framer.expecting = { unit: this.current.unit, fc: this.current.fc };
    this.link?.write(data);
  }

  /** The request on the line is given up on (timed out, or failed by a fault): its late reply will be discarded. */
  abandon(): void {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    this.framer.expecting = undefined;
    this.abandoned.push({ unit: c.unit, fc: c.fc });
    if (this.abandoned.length > MAX_ABANDONED) this.abandoned.shift();
  }

  private onData(d: Buffer): void {
    this.emit('rx', d.length);
    for (const ev of this.framer.push(d)) {
      if (ev.kind === 'skipped') {
        this.stats.skippedBytes += ev.bytes;
        continue;
      }
      this.stats.frames++;
      const f = ev.frame;
      const unit = f[0]!;
      const fc = f[1]! & 0x7f;
      const c = this.current;
      if (c && unit === c.unit && fc === c.fc) {
        this.current = undefined;
        this.framer.expecting = undefined;
        this._transactionIdRead = c.tid;
        this.emit('data', f);
        continue;
      }
      if (ev.kind === 'crc') continue;
      const late = this.abandoned.findIndex((a) => a.unit === unit && a.fc === fc);
      if (late >= 0) {
        this.abandoned.splice(late, 1);
        this.stats.lateDiscarded++;
        this.emit('late', { unit, fc });
        continue;
      }
      this.stats.foreign++;
      if (c) {
        this.abandon();
        this.emit(
          'fault',
          new FrameFault(`reply from unit ${unit} (function ${fc}) to a request to unit ${c.unit}`),
        );
      }
    }
  }
}
