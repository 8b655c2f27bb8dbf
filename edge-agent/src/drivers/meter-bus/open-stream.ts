/**
 * Opens a meter bus's byte stream: the serial port (serialport) or the TCP socket to a serial
 * device server. Heavy (loads serialport): imported only by the drivers' index.ts and probes.
 */
import type { Duplex } from 'node:stream';
import type { Clock } from '@ganzhi/runtime';
import { openSerialStream } from '../serial/index.js';
import type { MeterBusEndpoint } from './bus-endpoint.js';

export function openBusStream(e: MeterBusEndpoint<string>, clock: Clock, timeoutMs = 3000): Promise<Duplex> {
  if (e.kind === 'serial') {
    const { path, baudRate, parity, dataBits, stopBits } = e;
    return openSerialStream({ scheme: 'serial', url: e.url, path, baudRate, parity, dataBits, stopBits });
  }
  return openSerialStream({ scheme: 'serial-tcp', url: e.url, host: e.host, port: e.port }, timeoutMs, clock);
}

/** Quiet time after a refused frame: 10 byte times on a serial line, at least 20 ms. */
export function settleMsOf(byteMs: number): number {
  return Math.max(20, Math.ceil(10 * byteMs));
}
