/** NMEA-0183 sentences: `$GPGGA,…*HH` with the XOR checksum of the bytes between $ and *. */

export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

export function nmeaSentence(talker: string, type: string, fields: readonly string[]): string {
  const body = [`${talker}${type}`, ...fields].join(',');
  return `$${body}*${nmeaChecksum(body)}`;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

export function nmeaTime(ts: number): string {
  const d = new Date(ts);
  return `${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}.${pad2(Math.floor(d.getUTCMilliseconds() / 10))}`;
}

export function nmeaDate(ts: number): string {
  const d = new Date(ts);
  return `${pad2(d.getUTCDate())}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCFullYear() % 100)}`;
}

/**
 * Plausible fields of the common sentences (index 0 = field 1), so a sentence is complete
 * even where the profile maps no point. Position fields default to empty.
 */
export function defaultFields(type: string, ts: number): string[] {
  switch (type) {
    case 'GGA':
      return [nmeaTime(ts), '', '', '', '', '1', '08', '0.9', '45.0', 'M', '-8.5', 'M', '', ''];
    case 'RMC':
      return [nmeaTime(ts), 'A', '', '', '', '', '0.0', '0.0', nmeaDate(ts), '', '', 'A'];
    case 'VTG':
      return ['0.0', 'T', '', 'M', '0.0', 'N', '0.0', 'K', 'A'];
    case 'ZDA': {
      const d = new Date(ts);
      return [
        nmeaTime(ts),
        pad2(d.getUTCDate()),
        pad2(d.getUTCMonth() + 1),
        String(d.getUTCFullYear()),
        '00',
        '00',
      ];
    }
    default:
      return [];
  }
}
