/**
 * Endpoints of an RS-485 meter bus (DL/T 645, CJ/T 188): the serial port itself, or the raw
 * TCP socket of a serial device server in front of it.
 *
 *   <proto>:///dev/ttyUSB0?baud=2400&parity=even   the port (default 2400 bit/s 8E1 from the profile)
 *   <proto>-tcp://host:port                        a serial device server passing the bytes through
 *
 * Both standards name 8 data bits, even parity and 1 stop bit; a URL without `parity` gets even.
 * Light: the protocol table imports this.
 */
import { hostPort, parseScheme, type SerialLineSettings, serialLine, transportKey } from '../endpoint-url.js';

export type MeterBusEndpoint<S extends string> =
  | ({ scheme: S; url: string; kind: 'serial' } & SerialLineSettings)
  | { scheme: `${S}-tcp`; url: string; kind: 'tcp'; host: string; port: number };

export function parseMeterBusEndpoint<S extends string>(
  url: string,
  scheme: S,
  what: string,
  defaultBaud: number,
): MeterBusEndpoint<S> {
  const tcp = `${scheme}-tcp` as const;
  return parseScheme<MeterBusEndpoint<S>>(url, what, {
    [scheme]: (u: URL) => {
      if (!u.searchParams.has('parity')) u.searchParams.set('parity', 'even');
      return { scheme, url, kind: 'serial' as const, ...serialLine(u, url, defaultBaud) };
    },
    [tcp]: (u: URL) => ({ scheme: tcp, url, kind: 'tcp' as const, ...hostPort(u, url) }),
  });
}

/** The physical line: a serial port by its device file, a socket by scheme, host and port. */
export const meterBusLineKey = (e: MeterBusEndpoint<string>): string => transportKey(e);

/** The line settings devices on one port must agree on; the protocol is part of them (one bus, one protocol). */
export function meterBusSettings(protocol: string, e: MeterBusEndpoint<string>): string {
  return e.kind === 'serial' ? `${protocol} ${e.baudRate}/${e.parity}/${e.dataBits}/${e.stopBits}` : protocol;
}

/** Milliseconds per byte on the wire at the line's settings (start + data + parity + stop bits). */
export function byteTimeMs(e: MeterBusEndpoint<string>): number {
  if (e.kind !== 'serial') return 0;
  const bits = 1 + e.dataBits + (e.parity === 'none' ? 0 : 1) + e.stopBits;
  return (bits * 1000) / e.baudRate;
}
