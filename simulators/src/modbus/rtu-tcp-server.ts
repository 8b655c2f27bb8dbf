/**
 * Modbus RTU over TCP: RTU frames (with CRC) on a raw TCP socket, as the serial device
 * servers in the field (Moxa NPort, USR-TCP232 …) in transparent mode expose a meter bus.
 * One port is one bus: many unit ids.
 */

import { seededRandom } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import { type Listening, startTcpListener } from '../net/tcp-listener.js';
import type { UnitTable } from './answer.js';
import { RtuDeframer } from './rtu-deframer.js';
import { rtuStream } from './rtu-station.js';
import { allRefusing } from './tcp-server.js';

export interface RtuTcpOptions {
  host?: string;
  port: number;
  units: UnitTable;
  logger?: Logger;
  seed?: number;
  /** silence after which leftover bytes are one frame or noise; default 20 ms */
  idleMs?: number;
}

export async function startModbusRtuTcpServer(opts: RtuTcpOptions): Promise<Listening> {
  const noise = seededRandom(opts.seed ?? 1);
  const l = await startTcpListener({
    ...(opts.host ? { host: opts.host } : {}),
    port: opts.port,
    what: 'modbus rtu-over-tcp',
    refusing: () => allRefusing(opts.units),
    ...(opts.logger ? { logger: opts.logger } : {}),
    onConnection(sock) {
      sock.setNoDelay(true);
      const stream = rtuStream(new RtuDeframer(), opts.units, noise, {
        idleMs: opts.idleMs ?? 20,
        write: (b) => {
          if (!sock.destroyed) sock.write(b);
        },
        drop: () => sock.destroy(),
      });
      sock.on('close', () => stream.stop());
      sock.on('data', (chunk) => stream.data(chunk));
    },
  });
  opts.logger?.info(
    { host: l.host, port: l.port, units: [...opts.units.keys()] },
    'modbus rtu-over-tcp listening',
  );
  return l;
}
