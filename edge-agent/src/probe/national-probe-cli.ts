/** Argument parsing for `ganzhi-agent probe dlt645 | cjt188 | hj212` (the national-standard protocols, issue 17). */
import { parseArgs } from 'node:util';
import type { Profile } from '@ganzhi/device-profiles';
import { UTC_OFFSET_PATTERN, utcOffsetMinutes } from '../drivers/hj212/options.js';

export const NATIONAL_USAGE = `  ganzhi-agent probe dlt645 dlt645:///dev/ttyUSB0?baud=2400|dlt645-tcp://HOST:PORT|/dev/ttyUSB0
        [--address 000000000161 [--di 02010100,00000000 [--format XXX.X]] [--profile ID]] [--timeout 1000]
        (without --address: reads the address of the one meter on the line by broadcast)
  ganzhi-agent probe cjt188 cjt188:///dev/ttyUSB0|cjt188-tcp://HOST:PORT [--address 78330011223344]
        [--type 16] [--profile ID] [--timeout 1000]
  ganzhi-agent probe hj212 hj212://0.0.0.0:PORT [--seconds 60] [--frames 50] [--ack]
        [--mn MN --password-env VAR] [--utc-offset +08:00] [--profile ID]`;

export async function probeNational(
  kind: 'dlt645' | 'cjt188' | 'hj212',
  target: string,
  args: string[],
  profileOf: (id: string | undefined, dir: string | undefined) => Profile | undefined,
  out: (line: string) => void,
): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      address: { type: 'string' },
      di: { type: 'string' },
      format: { type: 'string' },
      type: { type: 'string' },
      baud: { type: 'string', default: '2400' },
      timeout: { type: 'string', default: '1000' },
      preamble: { type: 'string' },
      profile: { type: 'string' },
      'profile-dir': { type: 'string' },
      seconds: { type: 'string', default: '60' },
      frames: { type: 'string', default: '50' },
      ack: { type: 'boolean', default: false },
      mn: { type: 'string' },
      'password-env': { type: 'string' },
      'utc-offset': { type: 'string', default: '+08:00' },
    },
    strict: true,
  });
  const profile = profileOf(v.profile, v['profile-dir']);
  if (profile && profile.protocol !== kind)
    throw new Error(`--profile ${profile.id} is a ${profile.protocol} profile, not ${kind}`);
  const int = (name: string, text: string | undefined, min: number, max: number): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name}: an integer ${min}..${max}, not "${text}"`);
    return n;
  };
  if (kind === 'hj212') {
    const offset = v['utc-offset']!;
    if (!new RegExp(UTC_OFFSET_PATTERN).test(offset))
      throw new Error(`--utc-offset: like +08:00, not "${offset}"`);
    if (v.mn !== undefined && v['password-env'] === undefined)
      throw new Error('--mn needs --password-env VAR (the PW is never given on the command line)');
    const password = v['password-env'] ? process.env[v['password-env']] : undefined;
    if (v['password-env'] && password === undefined)
      throw new Error(`--password-env: ${v['password-env']} is not set`);
    const { probeHj212 } = await import('./hj212-probe.js');
    return probeHj212({
      target,
      seconds: int('seconds', v.seconds, 1, 86_400)!,
      maxFrames: int('frames', v.frames, 1, 1_000_000)!,
      ack: v.ack ?? false,
      ...(v.mn !== undefined ? { mn: v.mn } : {}),
      ...(password !== undefined ? { password } : {}),
      tzOffsetMinutes: utcOffsetMinutes(offset),
      ...(profile ? { profile } : {}),
      out,
    });
  }
  const digits = kind === 'dlt645' ? 12 : 14;
  if (v.address !== undefined && !new RegExp(`^[0-9]{${digits}}$`).test(v.address)) {
    throw new Error(`--address: ${digits} digits as printed on the meter, not "${v.address}"`);
  }
  const dataIds = (v.di ?? '').split(',').filter((x) => x !== '');
  for (const id of dataIds) {
    if (!/^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{4})$/.test(id))
      throw new Error(`--di: 8 hex digits (2007) or 4 (1997), not "${id}"`);
  }
  if (v.format !== undefined && !/^X+(\.X+)?$/.test(v.format))
    throw new Error(`--format: like XXX.X, not "${v.format}"`);
  if (dataIds.length > 0 && v.address === undefined) throw new Error('--di needs --address');
  const { probeMeterBus } = await import('./meter-bus-probe.js');
  return probeMeterBus({
    protocol: kind,
    target,
    baud: int('baud', v.baud, 50, 4_000_000)!,
    ...(v.address !== undefined ? { address: v.address } : {}),
    dataIds,
    ...(v.format !== undefined ? { format: v.format } : {}),
    ...(v.type !== undefined ? { meterType: int('type', v.type, 0, 255)! } : {}),
    ...(profile ? { profile } : {}),
    timeoutMs: int('timeout', v.timeout, 10, 60_000)!,
    preamble: int('preamble', v.preamble, 0, 4) ?? (kind === 'dlt645' ? 4 : 2),
    out,
  });
}
