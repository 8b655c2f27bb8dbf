import { describe, expect, it } from 'vitest';
import { IngestError } from '../errors.js';
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter, withRetry } from './retry.js';

describe('retry', () => {
  const policy = { ...DEFAULT_RETRY, minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitterMs: 50 };

  it('backs off exponentially up to the cap, plus jitter', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(policy, a, undefined, () => 0))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoffDelay(policy, 1, undefined, () => 1)).toBe(150);
  });

  it('honours Retry-After (seconds or a date), capped', () => {
    expect(backoffDelay(policy, 1, 7000, () => 0)).toBe(7000);
    expect(backoffDelay({ ...policy, maxRetryAfterMs: 5000 }, 1, 7000, () => 0)).toBe(5000);
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });

  it('retries only retriable errors, and waits what the store asked for', async () => {
    const waits: number[] = [];
    let calls = 0;
    const r = await withRetry(
      async () => {
        if (++calls < 3) throw new IngestError('GZ_SINK_UNAVAILABLE', 'down', { retryAfterMs: 2000 });
        return 'ok';
      },
      { ...policy, maxAttempts: 5, jitterMs: 0 },
      async (ms) => {
        waits.push(ms);
      },
    );
    expect(r).toBe('ok');
    expect(waits).toEqual([2000, 2000]);
    await expect(
      withRetry(
        async () => Promise.reject(new IngestError('GZ_SINK_CLOSED', 'closed')),
        policy,
        async () => {},
      ),
    ).rejects.toMatchObject({ code: 'GZ_SINK_CLOSED' });
  });

  it('gives up after maxAttempts with the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new IngestError('GZ_SINK_UNAVAILABLE', 'down');
        },
        { ...policy, maxAttempts: 3 },
        async () => {},
      ),
    ).rejects.toMatchObject({ code: 'GZ_SINK_UNAVAILABLE' });
    expect(calls).toBe(3);
  });
});
