/**
 * Modbus TCP front-end: MBAP framing on one port for many unit ids. Unknown unit ids get
 * no answer (as a device that is not there); a frame with a protocol id other than 0 or
 * an impossible length is garbage, and the connection is closed. Never throws on input.
 */

import { seededRandom } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import { type Listening, startTcpListener } from '../net/tcp-listener.js';
import { answer, later, type UnitTable } from './answer.js';

export type { Listening } from '../net/tcp-listener.js';

export interface ModbusTcpOptions {
  host?: string;
  port: number;
  units: UnitTable;
  logger?: Logger;
  /** noise seed for garbled answers */
  seed?: number;
}

const MBAP = 7;
const MAX_PDU = 253;

/** True when every unit on the endpoint has an active `refuse` fault. */
export function allRefusing(units: UnitTable): boolean {
  if (units.size === 0) return false;
  for (const d of units.values()) if (!d.faults.isActive('refuse', d.now())) return false;
  return true;
}

export async function startModbusTcpServer(opts: ModbusTcpOptions): Promise<Listening> {
  const noise = seededRandom(opts.seed ?? 1);
  const l = await startTcpListener({
    ...(opts.host ? { host: opts.host } : {}),
    port: opts.port,
    what: 'modbus tcp',
    refusing: () => allRefusing(opts.units),
    ...(opts.logger ? { logger: opts.logger } : {}),
    onConnection(sock) {
      sock.setNoDelay(true);
      let buf = Buffer.alloc(0);
      sock.on('data', (chunk) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        while (buf.length >= MBAP) {
          const tid = buf.readUInt16BE(0);
          const pid = buf.readUInt16BE(2);
          const len = buf.readUInt16BE(4);
          if (pid !== 0 || len < 2 || len > MAX_PDU + 1) {
            opts.logger?.debug({ pid, len }, 'modbus tcp: garbage frame, closing connection');
            sock.destroy();
            return;
          }
          if (buf.length < 6 + len) break;
          const uid = buf[6]!;
          const pdu = buf.subarray(MBAP, 6 + len);
          buf = buf.subarray(6 + len);
          const device = opts.units.get(uid);
          if (!device) continue;
          const a = answer(device, pdu, noise, uid);
          if (a.kind === 'silent') continue;
          if (a.kind === 'drop') {
            sock.destroy();
            return;
          }
          const out = Buffer.alloc(MBAP + a.pdu.length);
          out.writeUInt16BE(tid, 0);
          out.writeUInt16BE(0, 2);
          out.writeUInt16BE(a.pdu.length + 1, 4);
          out[6] = uid;
          a.pdu.copy(out, MBAP);
          const bytes = a.kind === 'corrupt' && a.mode === 'truncated' ? out.subarray(0, MBAP + 1) : out;
          later(a.delayMs, () => {
            if (!sock.destroyed) sock.write(bytes);
          });
        }
      });
    },
  });
  opts.logger?.info({ host: l.host, port: l.port, units: [...opts.units.keys()] }, 'modbus tcp listening');
  return l;
}
