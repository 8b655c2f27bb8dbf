import { describe, expect, it } from 'vitest';
import { lineKey, parseEndpoint } from './protocols.js';

describe('parseEndpoint', () => {
  it('parses every scheme', () => {
    expect(parseEndpoint('modbus-tcp://10.0.0.5')).toMatchObject({
      scheme: 'modbus-tcp',
      host: '10.0.0.5',
      port: 502,
    });
    expect(parseEndpoint('modbus-rtu:///dev/ttyUSB0?baud=19200&parity=E&stop=2')).toMatchObject({
      scheme: 'modbus-rtu',
      path: '/dev/ttyUSB0',
      baudRate: 19200,
      parity: 'even',
      dataBits: 8,
      stopBits: 2,
    });
    expect(parseEndpoint('modbus-rtutcp://gw:4001')).toMatchObject({ scheme: 'modbus-rtutcp', port: 4001 });
    expect(parseEndpoint('opc.tcp://plc:4840/UA/Server')).toMatchObject({ scheme: 'opc.tcp', host: 'plc' });
    expect(parseEndpoint('serial:///dev/ttyS0?baud=4800')).toMatchObject({
      scheme: 'serial',
      baudRate: 4800,
    });
    expect(parseEndpoint('serial-tcp://127.0.0.1:9000')).toMatchObject({ scheme: 'serial-tcp', port: 9000 });
  });

  it('names what is wrong', () => {
    expect(() => parseEndpoint('modbus-rtu:///dev/ttyUSB0?baud=9600&parity=X')).toThrow(/invalid parity "x"/);
    expect(() => parseEndpoint('modbus-rtu:///dev/ttyUSB0?speed=9600')).toThrow(/unknown option "speed"/);
    expect(() => parseEndpoint('modbus-rtutcp://host')).toThrow(/port/);
    expect(() => parseEndpoint('mqtt://host:1883')).toThrow(/unknown scheme "mqtt"/);
    expect(() => parseEndpoint('not a url')).toThrow(/not a URL/);
  });

  it('refuses credentials in the URL (they would be shown and sent), never echoing the password', () => {
    const attempt = (url: string): string => {
      try {
        parseEndpoint(url);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error(`${url} was accepted`);
    };
    const opcua = attempt('opc.tcp://ops:s3cret-pw@plc:4840/UA');
    expect(opcua).toMatch(/credentials do not belong in the URL .*opcua\.identity/);
    expect(opcua).toContain('opc.tcp://***@plc:4840/UA');
    for (const url of [
      'opc.tcp://ops:s3cret-pw@plc:4840/UA',
      'opc.tcp://s3cret-pw@plc:4840',
      'modbus-tcp://admin:s3cret-pw@10.0.0.5:502',
      'serial-tcp://x:s3cret-pw@host:9000',
      'mqtt://x:s3cret-pw@host:1883',
      'opc.tcp://ops:s3cret-pw@plc:notaport',
    ]) {
      expect(attempt(url)).not.toContain('s3cret-pw');
    }
  });

  it('gives devices on one serial line the same line key whatever their options', () => {
    expect(lineKey(parseEndpoint('modbus-rtu:///dev/ttyUSB0?baud=9600'))).toBe(
      lineKey(parseEndpoint('modbus-rtu:///dev/ttyUSB0')),
    );
    expect(lineKey(parseEndpoint('modbus-tcp://a:502'))).not.toBe(
      lineKey(parseEndpoint('modbus-tcp://a:503')),
    );
  });
});
