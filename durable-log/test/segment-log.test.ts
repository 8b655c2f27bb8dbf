/** Segment-log behaviour the contract cannot see: files, recovery, rolling, locking, fsync. */
import {
  appendFileSync,
  closeSync,
  fdatasyncSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/process.js';
import {
  DurableLogError,
  type LogFs,
  openSegmentLog,
  RECORD_HEADER_BYTES,
  type SegmentLog,
  type SegmentLogOptions,
} from '../src/index.js';
import { fakeClock, payloadOf } from './contract.js';
import { fakeFullDiskFs } from './fake-fs.js';

const dirs: string[] = [];
const logs: SegmentLog[] = [];
afterEach(() => {
  for (const l of logs.splice(0)) l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(opts: Partial<SegmentLogOptions> & { dir?: string } = {}): SegmentLog {
  const dir = opts.dir ?? tempDir('ganzhi-log-');
  if (!dirs.includes(dir)) dirs.push(dir);
  const log = openSegmentLog({ fsync: 'never', ...opts, dir });
  logs.push(log);
  return log;
}
const dirOf = (log: SegmentLog) => dirs[logs.indexOf(log)] ?? '';
const segFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort();
const tagsFrom = (log: SegmentLog, from = 0) =>
  log.readFrom(from).map((r) => Number.parseInt(r.payload.toString('latin1'), 10));
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('segment files', () => {
  it('rolls segments at segmentBytes, names them by base offset and deletes them once fully acked', () => {
    const log = open({ segmentBytes: 1000 }); // 10 records of 100 bytes per segment
    const dir = dirOf(log);
    for (let i = 0; i < 35; i++) log.append(payloadOf(i));
    expect(segFiles(dir)).toEqual([0, 10, 20, 30].map((b) => `${String(b).padStart(20, '0')}.seg`));
    expect(statSync(join(dir, segFiles(dir)[0]!)).size).toBe(1000);
    expect(log.stats().segments).toBe(4);
    log.ackThrough(18);
    expect(segFiles(dir)).toHaveLength(3); // 0..9 deleted, 10..19 still holds unacked 19
    log.ackThrough(34);
    expect(segFiles(dir)).toEqual(['00000000000000000030.seg']); // the tail is kept
    log.close();
    const again = open({ dir, segmentBytes: 1000 });
    expect(again.nextOffset).toBe(35);
    expect(again.firstUnacked).toBe(35);
    expect(again.append(payloadOf(35))).toBe(35);
  });

  it('drops whole expired segments by age and deletes their files', () => {
    const clock = fakeClock();
    const log = open({ segmentBytes: 1000, maxAgeMs: 60_000, clock });
    for (let i = 0; i < 30; i++) {
      log.append(payloadOf(i));
      clock.advance(1000);
    }
    clock.advance(60_000 - 30_000 + 4_500); // records 0..4 are now older than 60 s
    expect(log.stats()).toMatchObject({ dropped: 5, records: 25 });
    clock.advance(10_000); // 0..14 expired: the first segment goes
    expect(log.stats()).toMatchObject({ dropped: 15, records: 15, segments: 2 });
    expect(tagsFrom(log)).toEqual(range(15, 30));
  });

  it('persists the cursor on close; acks after the last cursor write are redelivered after a crash', () => {
    const log = open({ cursorSyncMs: 60_000 });
    const dir = dirOf(log);
    for (let i = 0; i < 5; i++) log.append(payloadOf(i));
    log.ackThrough(1);
    // Simulate a crash: copy the directory as it is on disk now, before close() writes the cursor.
    const crashDir = tempDir('ganzhi-log-crash-');
    dirs.push(crashDir);
    for (const f of readdirSync(dir)) writeFileSync(join(crashDir, f), readFileSync(join(dir, f)));
    const crashed = open({ dir: crashDir });
    expect(crashed.firstUnacked).toBe(0); // the ack was not persisted yet: 0 and 1 come again
    expect(tagsFrom(crashed)).toEqual([0, 1, 2, 3, 4]);
    log.close();
    const clean = open({ dir });
    expect(clean.firstUnacked).toBe(2);
  });

  it('writes the cursor in the background within cursorSyncMs of an ack, without close', async () => {
    const log = open({ cursorSyncMs: 5 });
    const dir = dirOf(log);
    for (let i = 0; i < 5; i++) log.append(payloadOf(i));
    log.ackThrough(2);
    const cursor = () => JSON.parse(readFileSync(join(dir, 'cursor.json'), 'utf8')).firstUnacked;
    while (cursor() !== 3) await new Promise((r) => setTimeout(r, 5));
    expect(cursor()).toBe(3);
  });

  it('reports a failed cursor write through onError and keeps working', () => {
    const fs = fakeFullDiskFs();
    const errors: DurableLogError[] = [];
    const log = open({ fs, onError: (e) => errors.push(e) });
    log.append(payloadOf(0));
    fs.renameSync = () => {
      throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
    };
    log.ack(0);
    log.close();
    expect(errors.map((e) => e.code)).toEqual(['GZ_LOG_DISK_FULL']);
  });

  it('keeps appendedAt across reopen, so the age bound still applies', () => {
    const clock = fakeClock();
    const log = open({ clock });
    const dir = dirOf(log);
    log.append(payloadOf(0));
    clock.advance(5000);
    log.append(payloadOf(1));
    log.close();
    clock.advance(58_000);
    const again = open({ dir, clock, maxAgeMs: 60_000 });
    expect(again.readFrom(0).map((r) => [r.offset, r.appendedAt])).toEqual([[1, 1_005_000]]);
    expect(again.stats()).toMatchObject({ dropped: 1, oldestAgeMs: 58_000 });
  });

  it('rejects bad options before touching the directory, naming the option', () => {
    const dir = tempDir('ganzhi-log-');
    dirs.push(dir);
    for (const bad of [
      { maxBytes: 0 },
      { maxAgeMs: -1 },
      { fsync: { intervalMs: 0 } },
      { segmentBytes: 10 },
    ]) {
      expect(() => openSegmentLog({ dir, ...bad } as SegmentLogOptions)).toThrow(
        expect.objectContaining({
          code: 'GZ_LOG_BAD_OPTIONS',
          message: expect.stringContaining(Object.keys(bad)[0]!),
        }),
      );
    }
    expect(open({ dir }).nextOffset).toBe(0);
  });

  it('refuses a second open of the same directory while the first is open', () => {
    const log = open();
    let err: unknown;
    try {
      openSegmentLog({ dir: dirOf(log) });
    } catch (e) {
      err = e;
    }
    expect((err as DurableLogError).code).toBe('GZ_LOG_LOCKED');
    log.close();
    expect(open({ dir: dirOf(log) }).nextOffset).toBe(0);
  });

  it("fsync 'always' syncs once per append or appendMany; an interval policy syncs in the background", async () => {
    const fs = fakeFullDiskFs();
    const log = open({ fsync: 'always', fs });
    const before = fs.fdatasyncCalls;
    log.append(payloadOf(0));
    log.appendMany([payloadOf(1), payloadOf(2), payloadOf(3)]);
    expect(fs.fdatasyncCalls - before).toBe(2);
    const fs2 = fakeFullDiskFs();
    const timed = open({ fsync: { intervalMs: 5 }, fs: fs2 });
    timed.append(payloadOf(0));
    const start = fs2.fdatasyncCalls;
    while (fs2.fdatasyncCalls === start) await new Promise((r) => setTimeout(r, 5));
    expect(fs2.fdatasyncCalls).toBeGreaterThan(start);
  });
});

describe('interval fsync off the main thread', () => {
  /** A fake (fault injection): node:fs whose async fdatasync is held until the test lets it end. */
  function heldSyncFs() {
    const held: { fd: number; cb: (err: NodeJS.ErrnoException | null) => void }[] = [];
    const closed: number[] = [];
    const syncedNow: number[] = [];
    const fs = {
      ...fakeFullDiskFs(),
      fdatasync: ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
        held.push({ fd, cb });
      }) as LogFs['fdatasync'],
      fdatasyncSync: (fd: number) => {
        syncedNow.push(fd);
        fdatasyncSync(fd);
      },
      closeSync: (fd: number) => {
        closed.push(fd);
        closeSync(fd);
      },
    };
    const release = (err: NodeJS.ErrnoException | null = null) => {
      for (const h of held.splice(0)) {
        fdatasyncSync(h.fd); // the fd must still be open and ours: this throws EBADF otherwise
        h.cb(err);
      }
    };
    return { fs, held, closed, syncedNow, release };
  }

  it('keeps a segment file open until its background fdatasync ends, through roll, release and close', async () => {
    const h = heldSyncFs();
    const log = open({ fsync: { intervalMs: 5 }, segmentBytes: 1000, fs: h.fs });
    const dir = dirOf(log);
    for (let i = 0; i < 5; i++) log.append(payloadOf(i));
    while (h.held.length === 0) await new Promise((r) => setTimeout(r, 5));
    const fd = h.held[0]!.fd;
    // rolling while it runs syncs the old tail on the spot (complete on disk before the new file)
    h.syncedNow.length = 0;
    for (let i = 5; i < 25; i++) log.append(payloadOf(i));
    expect(h.syncedNow).toContain(fd);
    // the first segment is wholly acknowledged: deleted, but its fd stays open while the sync runs
    log.ackThrough(12);
    expect(segFiles(dir)).not.toContain('00000000000000000000.seg');
    expect(h.closed).not.toContain(fd);
    log.close();
    expect(h.closed).not.toContain(fd);
    h.release();
    expect(h.closed).toContain(fd);
    const again = open({ dir, segmentBytes: 1000 });
    expect(tagsFrom(again, 13)).toEqual(range(13, 25));
  });

  it('sync() while a background sync runs syncs now; a failed background sync is reported and retried', async () => {
    const h = heldSyncFs();
    const errors: DurableLogError[] = [];
    const log = open({ fsync: { intervalMs: 5 }, fs: h.fs, onError: (e) => errors.push(e) });
    log.append(payloadOf(0));
    while (h.held.length === 0) await new Promise((r) => setTimeout(r, 5));
    h.syncedNow.length = 0;
    log.sync();
    expect(h.syncedNow).toHaveLength(1);
    h.release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    expect(errors.map((e) => e.code)).toEqual(['GZ_LOG_IO']);
    // dirty again: the next interval syncs again
    while (h.held.length === 0) await new Promise((r) => setTimeout(r, 5));
    h.release();
    log.close();
  });
});

describe('recovery on open', () => {
  function logWith(n: number, opts: Partial<SegmentLogOptions> = {}): { dir: string; tail: string } {
    const log = open(opts);
    for (let i = 0; i < n; i++) log.append(payloadOf(i));
    log.close();
    const dir = dirOf(log);
    return { dir, tail: join(dir, segFiles(dir).at(-1)!) };
  }

  it('cuts a partial record at the tail and keeps every record before it', () => {
    const { dir, tail } = logWith(10);
    appendFileSync(tail, Buffer.concat([Buffer.from([50, 0, 0, 0, 1, 2, 3, 4]), Buffer.alloc(20, 7)]));
    const log = open({ dir });
    expect(log.recovery.truncatedBytes).toBe(28);
    expect(log.stats().truncatedBytes).toBe(28);
    expect(log.recovery.problems[0]).toMatch(/torn write/);
    expect(log.nextOffset).toBe(10);
    expect(tagsFrom(log)).toEqual(range(0, 10));
    expect(log.append(payloadOf(10))).toBe(10);
    log.close();
    const again = open({ dir });
    expect(again.recovery.truncatedBytes).toBe(0);
    expect(tagsFrom(again)).toEqual(range(0, 11));
  });

  it('cuts a last record whose payload no longer matches its CRC', () => {
    const { dir, tail } = logWith(10);
    const bytes = readFileSync(tail);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 3) ^ 0xff, bytes.length - 3);
    writeFileSync(tail, bytes);
    const log = open({ dir });
    expect(log.recovery.truncatedBytes).toBe(100);
    expect(log.recovery.problems[0]).toMatch(/CRC/);
    // offset 9 was handed out before: it is counted as lost, never given to another record
    expect(log.recovery.lostRecords).toBe(1);
    expect(log.nextOffset).toBe(10);
    expect(tagsFrom(log)).toEqual(range(0, 9));
  });

  it('cuts a zero-filled tail (what a power cut can leave) and a half-written header', () => {
    const { dir, tail } = logWith(3);
    appendFileSync(tail, Buffer.alloc(4096));
    expect(open({ dir }).recovery.truncatedBytes).toBe(4096);
    logs.pop()!.close();
    appendFileSync(tail, Buffer.alloc(RECORD_HEADER_BYTES - 1, 0xab));
    const log = open({ dir });
    expect(log.recovery.truncatedBytes).toBe(RECORD_HEADER_BYTES - 1);
    expect(tagsFrom(log)).toEqual([0, 1, 2]);
  });

  it('never reuses offsets lost in a power cut, and counts the lost unacked records as dropped', () => {
    const { dir, tail } = logWith(20);
    truncateSync(tail, 15 * 100); // the last 5 records never reached the disk
    const log = open({ dir });
    expect(log.recovery.lostRecords).toBe(5);
    expect(log.stats()).toMatchObject({ records: 15, dropped: 5 });
    expect(log.append(payloadOf(20))).toBe(20);
    expect(tagsFrom(log)).toEqual([...range(0, 15), 20]);
  });

  it('skips a hole left by a torn older segment, counting it, and delivers the segments after it', () => {
    const log = open({ segmentBytes: 1000 });
    const dir = dirOf(log);
    for (let i = 0; i < 25; i++) log.append(payloadOf(i));
    log.close();
    truncateSync(join(dir, segFiles(dir)[0]!), 750); // records 7..9 torn away (half of 7 remains)
    const again = open({ dir, segmentBytes: 1000 });
    expect(again.recovery).toMatchObject({ truncatedBytes: 50, lostRecords: 3 });
    expect(again.stats()).toMatchObject({ records: 22, dropped: 3 });
    expect(tagsFrom(again)).toEqual([...range(0, 7), ...range(10, 25)]);
    again.ackThrough(6);
    expect(again.firstUnacked).toBe(10);
  });

  it('redelivers from the oldest record when the cursor file is lost, and never skips one', () => {
    const log = open();
    const dir = dirOf(log);
    for (let i = 0; i < 4; i++) log.append(payloadOf(i));
    log.ackThrough(1);
    log.close();
    writeFileSync(join(dir, 'cursor.json'), '{"v":1,"firstUn');
    const again = open({ dir });
    expect(again.recovery.cursorFound).toBe(false);
    expect(again.firstUnacked).toBe(0);
    expect(tagsFrom(again)).toEqual([0, 1, 2, 3]);
  });
});

describe('disk full', () => {
  it('throws a retriable GZ_LOG_DISK_FULL, cuts the partial write and keeps every earlier record', () => {
    const fs = fakeFullDiskFs(1050); // room for 10 records and half of the 11th
    const log = open({ fs });
    const dir = dirOf(log);
    for (let i = 0; i < 10; i++) log.append(payloadOf(i));
    let err: unknown;
    try {
      log.append(payloadOf(10));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DurableLogError);
    expect(err).toMatchObject({ code: 'GZ_LOG_DISK_FULL', retriable: true });
    expect(((err as DurableLogError).cause as { code: string }).code).toBe('ENOSPC');
    expect(() => log.appendMany([payloadOf(10), payloadOf(11)])).toThrow(/disk full/);
    expect(log.nextOffset).toBe(10);
    expect(log.stats()).toMatchObject({ records: 10, bytes: 1000 });
    expect(statSync(join(dir, segFiles(dir)[0]!)).size).toBe(1000);
    fs.budget = Number.POSITIVE_INFINITY; // space freed
    expect(log.append(payloadOf(10))).toBe(10);
    log.close();
    const again = open({ dir });
    expect(again.recovery.truncatedBytes).toBe(0);
    expect(tagsFrom(again)).toEqual(range(0, 11));
  });

  it('stays consistent when even the cut fails: the next append overwrites, recovery cuts leftovers', () => {
    const fs = fakeFullDiskFs(500 + 150);
    const log = open({ fs });
    const dir = dirOf(log);
    for (let i = 0; i < 5; i++) log.append(payloadOf(i));
    fs.failTruncate = true;
    expect(() => log.append(payloadOf(5, 284))).toThrow(DurableLogError);
    fs.failTruncate = false;
    fs.budget = Number.POSITIVE_INFINITY;
    expect(log.append(payloadOf(5))).toBe(5); // 100 bytes over the first 100 of the 150 written
    log.close();
    const again = open({ dir });
    expect(again.recovery.truncatedBytes).toBe(50);
    expect(tagsFrom(again)).toEqual(range(0, 6));
  });

  it('reports a full disk when a new segment cannot be created', () => {
    const fs = fakeFullDiskFs();
    const log = open({ fs, segmentBytes: 1000 });
    for (let i = 0; i < 10; i++) log.append(payloadOf(i));
    fs.failCreate = true;
    expect(() => log.append(payloadOf(10))).toThrow(expect.objectContaining({ code: 'GZ_LOG_DISK_FULL' }));
    fs.failCreate = false;
    expect(log.append(payloadOf(10))).toBe(10);
    expect(tagsFrom(log)).toEqual(range(0, 11));
  });
});
