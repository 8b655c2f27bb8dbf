/** The command journal on a real file: torn last line, interrupted intents, bounds. */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandResult } from '@ganzhi/device-profiles/contract';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/process.js';
import { CommandJournal } from './journal.js';

const DAY = 24 * 3600_000;
const topic = (d: string) => `gz/v1/north/gw/${d}/result`;

function result(id: string, t: number): CommandResult {
  return {
    v: 1,
    id,
    device: 'l1',
    received: t,
    executed: t,
    done: t,
    outcomes: [{ point: 'lamp_on', outcome: 'ok' }],
  };
}

function open(dir: string, now: number, compactEvery?: number): CommandJournal {
  return new CommandJournal({
    dir,
    now,
    retainMs: DAY,
    resultTopic: topic,
    ...(compactEvery !== undefined ? { compactEvery } : {}),
  });
}

describe('command journal', () => {
  it('an intent without a result becomes an unsent interrupted result; a torn last line is ignored', () => {
    const dir = tempDir('ganzhi-journal-');
    const t = 1_800_000_000_000;
    const j = open(dir, t);
    j.recordIntent({
      id: 'cmd-00000001',
      device: 'l1',
      writes: [{ point: 'lamp_on', value: true }],
      issuer: 'op',
      received: t,
      executed: t,
      expires: t + 1000,
    });
    j.close();
    appendFileSync(join(dir, 'journal.jsonl'), '{"t":"result","n":9,"fin');
    const k = open(dir, t + 5);
    expect(k.interrupted).toEqual(['cmd-00000001']);
    const r = k.resultOf('cmd-00000001');
    expect(r?.result).toMatchObject({
      issuer: 'op',
      done: t + 5,
      outcomes: [{ point: 'lamp_on', outcome: 'interrupted', requested: true }],
    });
    expect(k.outbox().map((x) => x.result.id)).toEqual(['cmd-00000001']);
    k.close();
    // reported once: opening again does not make a second interrupted result
    const l = open(dir, t + 10);
    expect(l.interrupted).toEqual([]);
    expect(l.outbox()).toHaveLength(1);
    l.close();
  });

  it('keeps an id for retainMs past its expiry, an unsent result until it is sent, then prunes', () => {
    const dir = tempDir('ganzhi-journal-');
    const t = 1_800_000_000_000;
    const j = open(dir, t);
    const a = j.recordResult(topic('l1'), result('cmd-aaaaaaaa', t), true, t + 1000);
    j.recordResult(topic('l1'), result('cmd-bbbbbbbb', t), true, t + 1000);
    j.markSent(a.n);
    j.close();
    // within the retention: both ids known
    const k = open(dir, t + DAY);
    expect(k.resultOf('cmd-aaaaaaaa')).toBeDefined();
    k.close();
    // past it: the sent one is pruned, the unsent one stays until it is sent
    const l = open(dir, t + 2 * DAY);
    expect(l.resultOf('cmd-aaaaaaaa')).toBeUndefined();
    const b = l.resultOf('cmd-bbbbbbbb');
    expect(b?.sent).toBe(false);
    l.markSent(b?.n ?? -1);
    l.close();
    const m = open(dir, t + 2 * DAY);
    expect(m.size()).toEqual({ ids: 0, results: 0 });
    m.close();
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).toBe('');
  });

  it('compacts while running: the file stays bounded by what is retained', () => {
    const dir = tempDir('ganzhi-journal-');
    const t = 1_800_000_000_000;
    const j = open(dir, t, 50);
    for (let i = 0; i < 500; i++) {
      // each command is older than the retention by the time the next compaction runs
      const at = t + i * DAY;
      const r = j.recordResult(topic('l1'), result(`cmd-${String(i).padStart(8, '0')}`, at), true, at);
      j.markSent(r.n);
    }
    j.close();
    const lines = readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThan(120);
  });
});
