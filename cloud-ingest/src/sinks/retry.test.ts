import { ManualClock, seededRandom } from '@ganzhi/runtime';
import { describe, expect, it } from 'vitest';
import { IngestError } from '../errors.js';
import { DEFAULT_RETRY, parseRetryAfter, retryDelay, withRetry } from './retry.js';

describe('retry', () => {
  const policy = { ...DEFAULT_RETRY, minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 };

  it('backs off exponentially up to the cap, jitter a fraction of the delay (the runtime rule)', () => {
    const none = { ...policy, jitter: 0 };
    expect([1, 2, 3, 4, 5].map((a) => retryDelay(none, a, undefined, () => 0.7))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    // jitter 0.5 spreads a delay over ±25 %
    expect(retryDelay(policy, 1, undefined, () => 0)).toBe(75);
    expect(retryDelay(policy, 1, undefined, () => 0.999999)).toBe(125);
    expect(retryDelay(policy, 5, undefined, () => 0)).toBe(750);
  });

  it('honours Retry-After (seconds or a date), capped, and never waits less than it asks', () => {
    expect(retryDelay(policy, 1, 7000, () => 0)).toBe(7000);
    expect(retryDelay(policy, 1, 7000, () => 0.999999)).toBe(8750);
    expect(retryDelay({ ...policy, maxRetryAfterMs: 5000 }, 1, 7000, () => 0)).toBe(5000);
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });

  it('retries only retriable errors, and waits on the clock what the store asked for', async () => {
    const clock = new ManualClock(0);
    const calls: number[] = [];
    const result = withRetry(
      async () => {
        calls.push(clock.now());
        if (calls.length < 3) throw new IngestError('GZ_SINK_UNAVAILABLE', 'down', { retryAfterMs: 2000 });
        return 'ok';
      },
      { ...policy, maxAttempts: 5, jitter: 0 },
      { clock, random: seededRandom(1) },
    );
    await new Promise((r) => setImmediate(r)); // the first attempt fails and its wait is set
    await clock.advanceAsync(1999, 1);
    expect(calls).toEqual([0]); // nothing before the store's 2 s
    await clock.advanceAsync(2001, 1);
    expect(await result).toBe('ok');
    expect(calls).toEqual([0, 2000, 4000]);
    await expect(
      withRetry(async () => Promise.reject(new IngestError('GZ_SINK_CLOSED', 'closed')), policy, {
        clock,
        random: Math.random,
      }),
    ).rejects.toMatchObject({ code: 'GZ_SINK_CLOSED' });
  });

  it('gives up after maxAttempts with the last error', async () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const result = withRetry(
      async () => {
        calls++;
        throw new IngestError('GZ_SINK_UNAVAILABLE', 'down');
      },
      { ...policy, maxAttempts: 3 },
      { clock, random: Math.random },
    );
    const settled = result.catch((e: unknown) => e);
    await clock.advanceAsync(10_000, 10);
    expect(await settled).toMatchObject({ code: 'GZ_SINK_UNAVAILABLE' });
    expect(calls).toBe(3);
  });
});
