/**
 * `ganzhi-agent probe dlt645 | cjt188`: commissioning a meter bus. Every request and answer is
 * printed as raw bytes (TX / RX, hex) beside its decoding, through the same bus line and codec
 * the agent runs.
 *
 * DL/T 645: without --address, reads the address by broadcast (C = 13 to AAAAAAAAAAAA; exactly
 * one meter may be on the line); with --address, reads each data identifier (--di, else the
 * profile's points, else energy, voltage, current and power of phase A).
 * CJ/T 188: reads the metering data (DI 901F) of --address (or of the only meter on the line,
 * by the wildcard address) and shows every item with its unit, the meter clock and status.
 */
import { bcd, cjt188, dlt645, isDlt645Point, type Profile, toEngineering } from '@ganzhi/device-profiles';
import { systemClock, systemRandom } from '@ganzhi/runtime';
import pino from 'pino';
import { itemOf } from '../drivers/cjt188/cjt188-driver.js';
import { type MeterBusEndpoint, parseMeterBusEndpoint } from '../drivers/meter-bus/bus-endpoint.js';
import { type BusResult, MeterBusLine } from '../drivers/meter-bus/bus-line.js';
import { openBusStream } from '../drivers/meter-bus/open-stream.js';

export interface MeterBusProbeOptions {
  protocol: 'dlt645' | 'cjt188';
  /** dlt645:///dev/ttyUSB0?baud=2400, dlt645-tcp://host:port, or a bare device path */
  target: string;
  baud: number;
  address?: string;
  dataIds: string[];
  format?: string;
  meterType?: number;
  profile?: Profile;
  timeoutMs: number;
  preamble: number;
  out: (line: string) => void;
}

const DEFAULT_DIS = ['00000000', '02010100', '02020100', '02030000'];

function endpointOf(o: MeterBusProbeOptions): MeterBusEndpoint<string> {
  const url = /^[a-z0-9-]+:\/\//.test(o.target) ? o.target : `${o.protocol}://${o.target}?baud=${o.baud}`;
  return parseMeterBusEndpoint(url, o.protocol, `a ${o.protocol}`, o.baud);
}

function hint(e: MeterBusEndpoint<string>): string {
  return e.kind === 'serial'
    ? `check the baud rate and parity (${e.baudRate} ${e.parity}: they must match the meter, DL/T 645 and CJ/T 188 meters default to 2400 8E1) and the A/B wiring`
    : 'check that the serial device server passes raw bytes (TCP server mode) and its serial settings (2400 8E1)';
}

function rx<F>(o: MeterBusProbeOptions, r: BusResult<F>): void {
  if (r.ok) o.out(`RX ${bcd.hex(r.raw)}`);
  else if (r.raw) o.out(`RX ${bcd.hex(r.raw)}  refused: ${r.reason}`);
}

export async function probeMeterBus(o: MeterBusProbeOptions): Promise<number> {
  const endpoint = endpointOf(o);
  const line =
    o.protocol === 'dlt645'
      ? new MeterBusLine<dlt645.Frame>({
          open: () => openBusStream(endpoint, systemClock),
          deframer: new dlt645.Dlt645Deframer(),
          clock: systemClock,
          random: systemRandom,
          logger: pino({ level: 'silent' }),
        })
      : new MeterBusLine<cjt188.Frame>({
          open: () => openBusStream(endpoint, systemClock),
          deframer: new cjt188.Cjt188Deframer(),
          clock: systemClock,
          random: systemRandom,
          logger: pino({ level: 'silent' }),
        });
  o.out(
    `${endpoint.url}${endpoint.kind === 'serial' ? ` (${endpoint.baudRate} bit/s, parity ${endpoint.parity})` : ''}`,
  );
  try {
    return o.protocol === 'dlt645'
      ? await probeDlt645(o, endpoint, line as MeterBusLine<dlt645.Frame>)
      : await probeCjt188(o, endpoint, line as MeterBusLine<cjt188.Frame>);
  } finally {
    await line.close();
  }
}

async function probeDlt645(
  o: MeterBusProbeOptions,
  e: MeterBusEndpoint<string>,
  line: MeterBusLine<dlt645.Frame>,
): Promise<number> {
  if (!o.address) {
    const req = dlt645.readAddressRequest({ preamble: o.preamble });
    o.out('read address by broadcast (C = 13 to AAAAAAAAAAAA; only one meter may be on the line)');
    o.out(`TX ${bcd.hex(req)}`);
    const r = await line.transaction({
      bytes: req,
      timeoutMs: o.timeoutMs,
      isAnswer: (f) => f.control.reply && f.control.fn === dlt645.FN.readAddress,
    });
    rx(o, r);
    if (!r.ok) {
      o.out(
        r.kind === 'timeout'
          ? `error: no answer within ${o.timeoutMs} ms: ${hint(e)}`
          : r.kind === 'frame'
            ? 'error: the answer was damaged — with several meters on the line they all answer at once and collide: read address needs one meter alone'
            : `error: ${r.reason}`,
      );
      return 1;
    }
    const a = dlt645.parseAddressReply(r.frame);
    if (!a.ok) {
      o.out(`error: ${a.reason}`);
      return 1;
    }
    o.out(`address ${a.address}   (config: dlt645: { address: "${a.address}" })`);
    return 0;
  }
  const address = o.address;
  const reads: {
    dataId: string;
    name: string;
    unit: string;
    format?: dlt645.DataIdFormat;
    point?: Profile['points'][number];
  }[] = [];
  if (o.dataIds.length > 0) {
    for (const id of o.dataIds) {
      const info = dlt645.dataIdInfo(id);
      const format = o.format ?? info?.format;
      reads.push({
        dataId: id.toUpperCase(),
        name: info?.name ?? '(not in the table)',
        unit: info?.unit ?? '',
        ...(format ? { format: { format, signed: info?.signed ?? false } } : {}),
      });
    }
  } else if (o.profile) {
    for (const p of o.profile.points.filter(isDlt645Point)) {
      const info = dlt645.dataIdInfo(p.dlt645.dataId);
      const format = p.dlt645.format ?? info?.format;
      reads.push({
        dataId: p.dlt645.dataId.toUpperCase(),
        name: p.name,
        unit: p.unit,
        point: p,
        ...(format ? { format: { format, signed: p.dlt645.signed ?? info?.signed ?? false } } : {}),
      });
    }
  } else {
    for (const id of DEFAULT_DIS) {
      const info = dlt645.dataIdInfo(id)!;
      reads.push({ dataId: id, name: info.name, unit: info.unit, format: info });
    }
  }
  let failures = 0;
  let answered = 0;
  for (const r of reads) {
    const req = dlt645.readDataRequest(address, r.dataId, { preamble: o.preamble });
    o.out('');
    o.out(
      `${r.dataId}  ${r.name}${r.format ? `  [${r.format.format}${r.format.signed ? ', signed' : ''}]` : ''}`,
    );
    o.out(`TX ${bcd.hex(req)}`);
    const res = await line.transaction({
      bytes: req,
      timeoutMs: o.timeoutMs,
      isAnswer: (f) => f.control.reply && f.address === address,
    });
    rx(o, res);
    if (!res.ok) {
      failures++;
      o.out(res.kind === 'timeout' ? `   no answer within ${o.timeoutMs} ms` : `   ${res.reason}`);
      if (res.kind === 'line') break;
      continue;
    }
    answered++;
    const v = dlt645.parseReadReply(res.frame, {
      address,
      dataId: r.dataId,
      ...(r.format ? { format: r.format } : {}),
    });
    const valueBytes = res.frame.data.subarray(r.dataId.length / 2);
    const digits = bcd.bcdText(valueBytes);
    if (!v.ok) {
      failures++;
      o.out(
        `   ${v.error === 'abnormal' ? 'ABNORMAL ' : 'BAD '}${v.reason}  (data ${bcd.hex(res.frame.data)})`,
      );
      continue;
    }
    const shown = r.point ? toEngineering(r.point, v.value) : v.value;
    const out =
      r.point?.range && typeof shown === 'number' && (shown < r.point.range.min || shown > r.point.range.max);
    o.out(
      `   = ${shown} ${r.unit}   (BCD digits ${digits}, data bytes less 33h)${out ? '   IMPLAUSIBLE' : ''}`,
    );
    if (out) failures++;
  }
  if (answered === 0)
    o.out(
      `\nerror: meter ${address} did not answer: check the address (12 digits, as on the nameplate); ${hint(e)}`,
    );
  return failures > 0 ? 1 : 0;
}

async function probeCjt188(
  o: MeterBusProbeOptions,
  e: MeterBusEndpoint<string>,
  line: MeterBusLine<cjt188.Frame>,
): Promise<number> {
  const type = o.meterType ?? o.profile?.cjt188?.meterType ?? 0x10;
  const address = o.address ?? cjt188.WILDCARD_ADDRESS;
  if (!o.address) o.out('no --address: asking by the wildcard address (only one meter may be on the line)');
  const req = cjt188.readDataRequest(type, address, 1, o.preamble);
  o.out(`read data (C = 01, DI 901F), meter type ${type} (${cjt188.METER_TYPES[type] ?? 'unknown type'})`);
  o.out(`TX ${bcd.hex(req)}`);
  const r = await line.transaction({
    bytes: req,
    timeoutMs: o.timeoutMs,
    isAnswer: (f) => f.control.reply && (address === cjt188.WILDCARD_ADDRESS || f.address === address),
  });
  rx(o, r);
  if (!r.ok) {
    o.out(
      r.kind === 'timeout'
        ? `error: no answer within ${o.timeoutMs} ms: check the address and meter type (--type), ${hint(e)}`
        : `error: ${r.reason}`,
    );
    return 1;
  }
  const f = r.frame;
  o.out(`meter ${f.address}, type ${f.meterType} (${cjt188.METER_TYPES[f.meterType] ?? 'unknown'})`);
  if (f.control.abnormal) {
    o.out(`ABNORMAL reply (C = ${f.control.code.toString(16).toUpperCase()}), data ${bcd.hex(f.data)}`);
    return 1;
  }
  const p = cjt188.parseReadDataReply(f);
  if (!p.ok) {
    o.out(`BAD ${p.reason}`);
    return 1;
  }
  const v = p.value;
  const q = (x: cjt188.Quantity | undefined) => (x ? `${x.value} ${x.unit} (unit code ${x.unitCode})` : '—');
  const rows: [string, string][] = cjt188.isHeatMeter(f.meterType)
    ? [
        ['settlement-day heat', q(v.settlementHeat)],
        ['current heat', q(v.currentHeat)],
        ['heat power', q(v.heatPower)],
        ['flow rate', q(v.flowRate)],
        ['accumulated flow', q(v.accumulatedFlow)],
        ['supply temperature', `${v.supplyTemperature} Cel`],
        ['return temperature', `${v.returnTemperature} Cel`],
        ['working time', `${v.workingHours} h`],
      ]
    : [
        ['current accumulated flow', q(v.currentFlow)],
        ['settlement-day flow', q(v.settlementFlow)],
      ];
  const t = v.meterTime;
  rows.push(
    [
      'meter clock',
      t
        ? `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`
        : (v.clockProblem ?? 'none'),
    ],
    [
      'status ST1 ST2',
      `${hex2(v.status.st1)} ${hex2(v.status.st2)}: valve ${v.status.valve}, battery ${v.status.batteryLow ? 'LOW' : 'ok'}`,
    ],
    ['SER', String(v.ser)],
  );
  for (const [k, x] of rows) o.out(`   ${k.padEnd(26)} ${x}`);
  let bad = 0;
  if (o.profile) {
    o.out(`profile ${o.profile.id}:`);
    for (const point of o.profile.points) {
      if (!('cjt188' in point)) continue;
      const item = itemOf(point, v);
      if (!item.ok) bad++;
      o.out(
        `   ${point.name.padEnd(26)} ${item.ok ? `${String(toEngineering(point, item.value))} ${point.unit}` : `BAD ${item.reason}`}`,
      );
    }
  }
  return bad > 0 ? 1 : 0;
}

const pad = (n: number) => String(n).padStart(2, '0');
const hex2 = (n: number) => n.toString(16).padStart(2, '0').toUpperCase();
