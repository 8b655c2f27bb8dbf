/**
 * Seeded generator of serial traffic for the frame fuzz: good sentences of the builtin
 * gps-nmea and weather-ascii profiles with the values they must decode to, and garbage —
 * flipped bytes, bad checksums (NMEA *HH, weather <ETX>HH), truncations, over-long lines,
 * binary noise. Each item ends with "\r\n", so the frames the framer emits while an item is
 * pushed belong to that item.
 */
import type { Value } from '@ganzhi/device-profiles';
import { nmeaChecksum } from '../../src/drivers/serial/frame-parser.js';

export type Rand = () => number;

export type ItemKind = 'good' | 'glued' | 'flipped' | 'bad-checksum' | 'truncated' | 'overlong' | 'noise';

export interface SerialItem {
  kind: ItemKind;
  /** latin1 text, terminator included */
  text: string;
  /** for good / glued / flipped / bad-checksum / truncated: what the original line says */
  expected?: Record<string, Value>;
  /** bytes changed (flipped items) */
  flips?: number;
}

export interface Gen {
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

export function gen(rand: Rand): Gen {
  const int = (n: number) => Math.floor(rand() * n);
  return { int, pick: (xs) => xs[int(xs.length)] as never, chance: (p) => rand() < p };
}

const pad = (n: number, width: number, digits = 0) => n.toFixed(digits).padStart(width, '0');
const FIX: Record<string, string> = {
  '0': 'no fix',
  '1': 'autonomous GNSS fix',
  '2': 'differential GNSS fix',
  '4': 'RTK fixed',
  '5': 'RTK float',
  '6': 'estimated (dead reckoning) fix',
};

function angle(g: Gen, degDigits: 2 | 3, max: number): { text: string; value: number } {
  const deg = g.int(max);
  const minutes = g.int(6_000_000) / 100_000; // 0 .. 59.99999
  const text = `${pad(deg, degDigits)}${pad(minutes, 8, 5)}`;
  return { text, value: deg + Number(text.slice(degDigits)) / 60 };
}

/** A valid GGA or RMC sentence and the engineering values of the gps-nmea profile. */
export function gpsSentence(g: Gen): { line: string; expected: Record<string, Value> } {
  const talker = g.pick(['GP', 'GN', 'GL', 'GA']);
  const time = `${pad(g.int(24), 2)}${pad(g.int(60), 2)}${pad(g.int(60), 2)}.00`;
  const lat = angle(g, 2, 90);
  const lon = angle(g, 3, 180);
  const ns = g.pick(['N', 'S']);
  const ew = g.pick(['E', 'W']);
  const latitude = ns === 'S' ? -lat.value : lat.value;
  const longitude = ew === 'W' ? -lon.value : lon.value;
  let body: string;
  let expected: Record<string, Value>;
  if (g.chance(0.6)) {
    const fix = g.pick(Object.keys(FIX));
    const sats = g.int(30);
    const hdop = (5 + g.int(200)) / 10;
    const alt = (g.int(40_000) - 1000) / 10;
    body = `${talker}GGA,${time},${lat.text},${ns},${lon.text},${ew},${fix},${pad(sats, 2)},${hdop.toFixed(1)},${alt.toFixed(1)},M,46.9,M,,`;
    expected = {
      latitude,
      longitude,
      fix_quality: FIX[fix] as string,
      satellites: sats,
      hdop,
      altitude: alt,
    };
  } else {
    const knots = g.int(100_000) / 1000;
    const course = g.int(36_000) / 100;
    body = `${talker}RMC,${time},A,${lat.text},${ns},${lon.text},${ew},${knots.toFixed(3)},${course.toFixed(2)},270126,,,A`;
    expected = { speed: knots * 1.852, course };
  }
  return { line: `$${body}*${nmeaChecksum(body)}`, expected };
}

/** A MetSENS500 line: <STX>Q,DIR,SPEED,CDIR,PRESS,RH,TEMP,DEW,VOLT,STATUS,<ETX>CK */
export function weatherLine(g: Gen): { line: string; expected: Record<string, Value> } {
  const dir = g.int(360);
  const speed = g.int(6000) / 100;
  const cdir = g.int(360);
  const press = (3000 + g.int(8000)) / 10;
  const rh = g.int(101);
  const temp = (g.int(1100) - 400) / 10;
  const dew = (g.int(800) - 400) / 10;
  const volt = (g.int(300) + 50) / 10;
  const status = g.int(10_000);
  const signed = (x: number, w: number) => `${x < 0 ? '-' : '+'}${pad(Math.abs(x), w, 1)}`;
  const fields = `Q,${pad(dir, 3)},${pad(speed, 6, 2)},${pad(cdir, 3)},${pad(press, 6, 1)},${pad(rh, 3)},${signed(temp, 5)},${signed(dew, 5)},${signed(volt, 4)},${pad(status, 4)},`;
  // the XOR of the bytes between STX and ETX, two upper-case hex digits (computed here, not
  // by the parser under test)
  let x = 0;
  for (const c of fields) x ^= c.charCodeAt(0);
  return {
    line: `\x02${fields}\x03${x.toString(16).toUpperCase().padStart(2, '0')}`,
    expected: {
      wind_direction: dir,
      wind_speed: speed,
      wind_direction_corrected: cdir,
      pressure: press,
      humidity: rh,
      temperature: temp,
      dewpoint: dew,
      supply_voltage: volt,
      status,
    },
  };
}

/** Random bytes as latin1 text; `lines` false keeps \r and \n out. */
export function noise(g: Gen, n: number, lines = true): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    let b = g.int(256);
    if (!lines && (b === 10 || b === 13)) b = 0;
    s += String.fromCharCode(b);
  }
  return s;
}

export function nextItem(g: Gen, profile: 'gps-nmea' | 'weather-ascii'): SerialItem {
  const { line, expected } = profile === 'gps-nmea' ? gpsSentence(g) : weatherLine(g);
  const r = g.int(100);
  if (r < 40) return { kind: 'good', text: `${line}\r\n`, expected };
  if (r < 48) {
    // noise glued in front of a good sentence, no line break between them
    let junk = noise(g, 1 + g.int(40), false).replace(/[$!]/g, '#');
    if (junk.startsWith('\x02')) junk = `#${junk.slice(1)}`; // not the weather line's <STX>
    return { kind: 'glued', text: `${junk}${line}\r\n`, expected };
  }
  if (r < 62) {
    const chars = [...line];
    const n = 1 + g.int(3);
    for (let i = 0; i < n; i++) {
      const at = g.int(chars.length);
      let b = g.int(256);
      if (b === 10 || b === 13) b = 0x7f;
      if (String.fromCharCode(b) === chars[at]) b ^= 0x20;
      chars[at] = String.fromCharCode(b);
    }
    return { kind: 'flipped', text: `${chars.join('')}\r\n`, expected, flips: n };
  }
  if (r < 68) {
    // the framing intact, the two hex digits after '*' (NMEA) or ETX (weather) wrong
    const given = line.slice(-2);
    let wrong = given;
    while (wrong.toUpperCase() === given) wrong = g.int(256).toString(16).toUpperCase().padStart(2, '0');
    return { kind: 'bad-checksum', text: `${line.slice(0, -2)}${wrong}\r\n`, expected };
  }
  if (r < 80) return { kind: 'truncated', text: `${line.slice(0, g.int(line.length))}\r\n`, expected };
  if (r < 84) return { kind: 'overlong', text: `${noise(g, 4097 + g.int(6000), false)}\r\n` };
  return { kind: 'noise', text: `${noise(g, 1 + g.int(200))}\r\n` };
}
