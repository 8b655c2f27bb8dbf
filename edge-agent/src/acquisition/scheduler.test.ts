import { ManualClock, sleep } from '@ganzhi/runtime';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { emptyCounters } from '../drivers/device-status.js';
import type { Driver, DriverReading } from '../drivers/driver.js';
import { DeviceScheduler } from './scheduler.js';
import { MemorySink } from './sink.js';
import { SlotTimers } from './slot-timers.js';

let clock: ManualClock;
/** Moves the manual clock on 1 ms at a time, letting each cycle's continuations run. */
const advance = (ms: number) => clock.advanceAsync(ms, 1);

/** FAKE driver: each read takes `durationMs` (on the manual clock) and yields one reading. */
function fakeDriver(durationMs: () => number) {
  let inFlight = 0;
  const stats = { maxInFlight: 0, reads: 0 };
  const driver: Driver = {
    device: 'd1',
    connect: async () => undefined,
    read: async (): Promise<DriverReading[]> => {
      inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
      stats.reads++;
      await sleep(clock, durationMs());
      inFlight--;
      return [{ device: 'd1', point: 'p', value: stats.reads, unit: '1', ts: clock.now(), quality: 'good' }];
    },
    status: () => ({ state: 'up', since: 0, counters: emptyCounters() }),
    close: async () => undefined,
  };
  return { driver, stats };
}

const batch = { profile: 'p', profileVersion: '1.0.0', model: 'm', measurement: 'x' };

describe('DeviceScheduler', () => {
  beforeEach(() => {
    clock = new ManualClock(1_000_000);
  });

  it('starts at a jittered offset and then keeps the interval', async () => {
    const { driver } = fakeDriver(() => 10);
    const sink = new MemorySink();
    const s = new DeviceScheduler({
      driver,
      intervalMs: 1000,
      clock,
      random: () => 0.3,
      sink,
      batch,
      logger: pino({ level: 'silent' }),
    });
    s.start();
    await advance(299);
    expect(sink.batches).toHaveLength(0);
    await advance(20);
    expect(sink.batches).toHaveLength(1);
    await advance(10_000);
    expect(sink.batches).toHaveLength(11);
    // grid, not drift: cycle k starts at start + 300 + k*1000 whatever the read took
    expect(sink.batches.map((b) => b.readings[0]!.ts - 1_000_000)).toEqual(
      Array.from({ length: 11 }, (_, k) => 300 + k * 1000 + 10),
    );
    expect(s.stats.overruns).toBe(0);
    const stopping = s.stop();
    await advance(3000);
    await stopping;
  });

  it('counts a cycle that outlasts its interval as an overrun and never stacks cycles', async () => {
    let slow = true;
    const { driver, stats } = fakeDriver(() => (slow ? 2500 : 10));
    const sink = new MemorySink();
    const s = new DeviceScheduler({
      driver,
      intervalMs: 1000,
      clock,
      random: () => 0,
      sink,
      batch,
      logger: pino({ level: 'silent' }),
    });
    s.start();
    await advance(10_000);
    expect(stats.maxInFlight).toBe(1);
    expect(stats.reads).toBe(4); // t=0, 3000, 6000, 9000
    expect(s.stats.overruns).toBe(3);
    slow = false;
    await advance(5_000);
    expect(s.stats.overruns).toBe(4); // the cycle started at 9000 ended at 11500
    const stopping = s.stop();
    await advance(3000);
    await stopping;
  });

  it('stop() waits for the cycle in progress and nothing runs afterwards', async () => {
    const { driver, stats } = fakeDriver(() => 500);
    const sink = new MemorySink();
    const s = new DeviceScheduler({
      driver,
      intervalMs: 1000,
      clock,
      random: () => 0,
      sink,
      batch,
      logger: pino({ level: 'silent' }),
    });
    s.start();
    await advance(100);
    const stopped = s.stop();
    await advance(500);
    await stopped;
    expect(sink.batches).toHaveLength(1);
    await advance(5000);
    expect(stats.reads).toBe(1);
  });
  it('with shared slot timers: devices due in the same slot share one timer, keep their grids, and a stopped one no longer fires', async () => {
    const timers = new SlotTimers(clock);
    const make = (jitter: number) => {
      const { driver, stats } = fakeDriver(() => 10);
      const sink = new MemorySink();
      const s = new DeviceScheduler({
        driver,
        intervalMs: 1000,
        clock,
        random: () => jitter,
        sink,
        batch,
        timers,
        logger: pino({ level: 'silent' }),
      });
      return { s, sink, stats };
    };
    // 0.301 and 0.33 round up to the same 50 ms slot (350), 0.7 to another (700)
    const devices = [make(0.301), make(0.33), make(0.7)];
    for (const d of devices) d.s.start();
    expect(timers.size).toBe(2);
    await advance(5000);
    for (const d of devices) expect(d.sink.batches).toHaveLength(5);
    expect(devices[0]!.sink.batches.map((b) => b.readings[0]!.ts - 1_000_000)).toEqual(
      [350, 1350, 2350, 3350, 4350].map((t) => t + 10),
    );
    expect(devices[2]!.sink.batches.map((b) => b.readings[0]!.ts - 1_000_000)).toEqual(
      [700, 1700, 2700, 3700, 4700].map((t) => t + 10),
    );
    const stopping = devices[0]!.s.stop();
    await advance(100);
    await stopping;
    await advance(3000);
    expect(devices[0]!.stats.reads).toBe(5);
    expect(devices[1]!.stats.reads).toBe(8);
    await Promise.all([devices[1]!.s.stop(), devices[2]!.s.stop(), advance(100)]);
    expect(timers.size).toBe(0);
  });
});
