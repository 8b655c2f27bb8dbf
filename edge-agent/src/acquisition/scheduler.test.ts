import { ManualClock, sleep } from '@ganzhi/runtime';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { emptyCounters } from '../drivers/device-status.js';
import type { Driver, DriverReading } from '../drivers/driver.js';
import { DeviceScheduler } from './scheduler.js';
import { MemorySink } from './sink.js';

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
});
