/**
 * `ganzhi-agent probe hj212 hj212://0.0.0.0:PORT`: listens for data loggers and prints every
 * packet — its CRC check, its header (PW masked), its data values with their -Flag — and, with
 * --mn and --password-env, whether it authenticates. It does not acknowledge unless --ack is
 * given: an acknowledged packet is one the logger deletes, and the probe stores nothing.
 */
import { createServer, type Socket } from 'node:net';
import { hj212, isHj212Point, type Profile } from '@ganzhi/device-profiles';
import { parseHj212Endpoint } from '../drivers/hj212/endpoint.js';
import { safeReason, samePassword } from '../drivers/hj212/listener.js';

export interface Hj212ProbeOptions {
  target: string;
  seconds: number;
  maxFrames: number;
  ack: boolean;
  mn?: string;
  password?: string;
  tzOffsetMinutes: number;
  profile?: Profile;
  out: (line: string) => void;
}

const printable = (b: Uint8Array) =>
  Array.from(b, (c) =>
    c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`,
  ).join('');

/** The segment as it may be shown: the PW replaced. */
export const maskPw = (segment: string): string => segment.replace(/(^|;)PW=[^;]*/, '$1PW=***');

export async function probeHj212(o: Hj212ProbeOptions): Promise<number> {
  const url = /^[a-z0-9]+:\/\//.test(o.target) ? o.target : `hj212://0.0.0.0:${o.target}`;
  const e = parseHj212Endpoint(url);
  let packets = 0;
  let bad = 0;
  const sockets = new Set<Socket>();
  const names = new Map<string, string>();
  for (const p of o.profile?.points.filter(isHj212Point) ?? []) {
    names.set(`${p.hj212.cn ?? '2011'}/${p.hj212.code}-${p.hj212.field ?? 'Rtd'}`, p.name);
  }
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  const server = createServer((sock) => {
    sockets.add(sock);
    const from = `${sock.remoteAddress}:${sock.remotePort}`;
    o.out(`connection from ${from}`);
    const deframer = new hj212.Hj212Deframer();
    sock.on('error', () => undefined);
    sock.on('close', () => {
      sockets.delete(sock);
      o.out(`${from} closed`);
    });
    sock.on('data', (chunk: Buffer) => {
      for (const r of deframer.push(chunk)) {
        packets++;
        if (!r.ok) {
          bad++;
          o.out(`[${safeReason(r.reason)}] ${maskPw(printable(r.raw.subarray(0, 200)))}`);
        } else show(sock, r.frame);
        if (packets >= o.maxFrames) finish();
      }
    });
  });
  const show = (sock: Socket, p: hj212.Packet) => {
    o.out(`[CRC ok ${p.crc}] ${maskPw(p.segment)}`);
    const s = hj212.parseSegment(p.segment);
    if (!s.ok) {
      bad++;
      o.out(`   BAD ${safeReason(s.reason)}`);
      return;
    }
    const seg = s.segment;
    const bits = hj212.flagBits(seg.flag);
    o.out(
      `   QN ${seg.qn ?? '—'}  ST ${seg.st}  CN ${seg.cn} (${hj212.DATA_COMMANDS[seg.cn] ?? 'not monitoring data'})  MN ${seg.mn}  Flag ${seg.flag} (${bits.ackRequested ? 'asks for 9014' : 'no ack asked'}${bits.split ? `, split ${seg.pno}/${seg.pnum}` : ''}, version ${bits.version === 1 ? '2017' : bits.version === 0 ? '2005' : bits.version})`,
    );
    let authOk = true;
    if (o.mn !== undefined) {
      authOk = seg.mn === o.mn && o.password !== undefined && samePassword(seg.pw, o.password);
      o.out(`   auth ${seg.mn !== o.mn ? 'REFUSED: unknown MN' : authOk ? 'ok' : 'REFUSED: wrong password'}`);
      if (!authOk) bad++;
    }
    if (hj212.DATA_COMMANDS[seg.cn]) {
      const m = hj212.parseMonitoringData(seg.cp, o.tzOffsetMinutes);
      if (!m.ok) {
        bad++;
        o.out(`   BAD ${m.reason}`);
      } else {
        o.out(`   DataTime ${m.data.dataTime} = ${new Date(m.data.ts).toISOString()}`);
        for (const v of m.data.values) {
          const name = names.get(`${seg.cn}/${v.code}-${v.field}`);
          const what = `${v.code}-${v.field}${name ? ` (${name})` : o.profile ? ' (not in the profile)' : ''}`;
          o.out(
            `   ${what.padEnd(28)} ${v.value ?? v.text}${v.flag !== undefined ? `  flag ${v.flag}` : ''}  ${v.quality}${v.reason ? `: ${v.reason}` : ''}`,
          );
        }
        for (const pr of m.data.problems) o.out(`   problem: ${pr}`);
      }
    }
    if (bits.ackRequested && o.ack && authOk) {
      sock.write(hj212.encodePacket(hj212.buildAckSegment(seg)));
      o.out(`   → 9014 sent for QN ${seg.qn ?? ''}`);
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(e.port, e.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  o.out(
    `listening on ${e.host}:${port} for ${o.seconds} s${o.profile ? ` (profile ${o.profile.id})` : ''}; ${o.ack ? 'acknowledging packets that ask (9014)' : 'NOT acknowledging (the logger keeps its data; --ack to answer)'}`,
  );
  const timer = setTimeout(finish, o.seconds * 1000);
  await done;
  clearTimeout(timer);
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  o.out(`${packets} packets, ${bad} refused or not authenticated`);
  return packets > 0 && bad === 0 ? 0 : 1;
}
