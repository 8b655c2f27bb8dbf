/** `ganzhi-agent probe serial`: framed lines with checksum status, and a profile's values when given. */
import { isSerialPoint, type Profile, type SerialLine } from '@ganzhi/device-profiles';
import { parseSerialEndpoint } from '../drivers/serial/endpoint.js';
import { checkFrame, ETX, parseFrame, STX } from '../drivers/serial/frame-parser.js';
import { createFramer } from '../drivers/serial/framer.js';
import { openSerialStream } from '../drivers/serial/index.js';
import { withHint } from './hints.js';

export interface SerialProbeOptions {
  target: string;
  baud: number;
  profile?: Profile;
  seconds: number;
  maxFrames: number;
  out: (line: string) => void;
}

const printable = (s: string) =>
  [...s]
    .map((c) => {
      const n = c.charCodeAt(0);
      return n < 0x20 || n >= 0x7f ? `\\x${n.toString(16).padStart(2, '0')}` : c;
    })
    .join('');

/**
 * Without a profile, frames that look checksummed are checked anyway: NMEA sentences
 * (`$…*HH`) and STX/ETX lines (`<STX>…<ETX>HH`, Gill / MetSENS weather stations).
 */
export function guessChecksum(frame: string): SerialLine['checksum'] {
  if (/\*[0-9A-Fa-f]{2}$/.test(frame) && frame.includes('$')) return 'nmea';
  const etx = frame.lastIndexOf(ETX);
  if (etx >= 0 && etx === frame.length - 3 && frame.lastIndexOf(STX, etx) >= 0) {
    if (/^[0-9A-Fa-f]{2}$/.test(frame.slice(etx + 1))) return 'xor-stx-etx';
  }
  return 'none';
}

export async function probeSerial(o: SerialProbeOptions): Promise<number> {
  const url = /^[a-z-]+:\/\//.test(o.target) ? o.target : `serial://${o.target}?baud=${o.baud}`;
  const endpoint = parseSerialEndpoint(url, o.baud);
  const line: SerialLine = o.profile?.serial ?? {
    framing: { kind: 'line', terminator: '\r\n' },
    checksum: 'none',
  };
  const points = o.profile ? o.profile.points.filter(isSerialPoint) : [];
  const stream = await openSerialStream(endpoint);
  const framer = createFramer(line.framing);
  let frames = 0;
  let failed = 0;
  o.out(`${endpoint.url}: listening for ${o.seconds} s${o.profile ? ` (profile ${o.profile.id})` : ''}`);
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stream.removeAllListeners('data');
      resolve();
    };
    const timer = setTimeout(done, o.seconds * 1000);
    stream.on('error', (err) => {
      o.out(`error: ${withHint(err.message, endpoint.url)}`);
      done();
    });
    stream.on('close', done);
    stream.on('data', (chunk: Buffer) => {
      for (const f of framer.push(chunk)) {
        frames++;
        const checksum = o.profile ? line.checksum : guessChecksum(f);
        const c = checkFrame(f, checksum);
        const status = checksum === 'none' ? '  --  ' : c.ok ? '  ok  ' : ` ${c.reason.padEnd(5)}`;
        if (!c.ok) failed++;
        o.out(`[${status}] ${printable(f)}`);
        if (o.profile && c.ok) {
          for (const { point, result } of parseFrame(f, line, points).values) {
            o.out(
              `           ${point.name} = ${result.ok ? `${String(result.value)} ${point.unit}` : `BAD ${result.reason}`}`,
            );
          }
        }
        if (frames >= o.maxFrames) return done();
      }
    });
  });
  stream.destroy();
  o.out(`${frames} frames, ${failed} failed checks, ${framer.dropped} bytes dropped while resynchronising`);
  return frames > 0 ? 0 : 1;
}
