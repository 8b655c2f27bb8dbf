/**
 * HJ 212-2017 golden vectors. The CRC of each packet below was published with the packet and
 * agrees with the standard's Appendix A algorithm; none was produced by our encoder.
 *
 * [A]  HJ 212-2017 Appendix A (normative) example: "##0101QN=20160801085857223;ST=32;
 *      CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
 *      (the standard's text, as quoted in public READMEs and tests; its prose has the typo
 *      "其中 1C08 为 CRC16 校验码" for the 1C80 printed in the packet).
 * [R1] a real-time (2011) water-quality packet from a field logger, quoted in a public Java test
 *      (cn.foxtech … hj212_2017 TestPduEntity): "##0457QN=20210320163101890;ST=32;CN=2011;…&&6E80".
 * [R2] a minute (2051) air-quality packet of an ambient station (MN JLYP01_AIR01_0001) sent by a
 *      public Go load-test client: "##0411QN=20220513162608370;ST=22;CN=2051;…&&D641".
 * [R3] the data acknowledgement "##0087QN=20160801085000001;ST=91;CN=9014;PW=123456;
 *      MN=010000A8900016F000169DC0;Flag=4;CP=&&&&C241" printed in a public Java test of a
 *      T212 mapper (its QN and fields are the standard's example data).
 * [STD] HJ 212-2017 §6.3 (packet, data segment table, Flag bits: A = bit 0 ack requested,
 *      D = bit 1 split, version in bits 2-7, 1 = 2017), §6.6.4 data markers N F M S D C T B.
 */
import { describe, expect, it } from 'vitest';
import { hj212 } from '../src/index.js';

const enc = (s: string) => new TextEncoder().encode(s);

const A =
  '##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n';
const R1 =
  '##0457QN=20210320163101890;ST=32;CN=2011;PW=123456;MN=81733553213013;Flag=4;CP=&&DataTime=20210320013400;w00000-Rtd=181.682,w00000-Flag=N;w21001-SampleTime=20210320005400,w21001-Rtd=45.160,w21001-Flag=N;w21011-SampleTime=20210320013400,w21011-Rtd=1.970,w21011-Flag=N;w21003-SampleTime=20210320013400,w21003-Rtd=53.131,w21003-Flag=N;w01018-SampleTime=20210320013400,w01018-Rtd=194.200,w01018-Flag=N;w01001-SampleTime=20210320013406,w01001-Rtd=7.496,w01001-Flag=N&&6E80\r\n';
const R2 =
  '##0411QN=20220513162608370;ST=22;CN=2051;PW=123456;MN=JLYP01_AIR01_0001;Flag=4;CP=&&DataTime=20220513162600;a21004-Avg=4,a21004-Flag=N;a05024-Avg=63,a05024-Flag=N;a21026-Avg=6,a21026-Flag=N;a21005-Avg=0.427,a21005-Flag=N;a34004-Avg=14,a34004-Flag=N;a34002-Avg=31,a34002-Flag=N;a01007-Avg=1,a01007-Flag=N;a01008-Avg=11,a01008-Flag=N;a01001-Avg=17,a01001-Flag=N;a01002-Avg=85,a01002-Flag=N;a01006-Avg=95,a01006-Flag=N&&D641\r\n';
const R3 =
  '##0087QN=20160801085000001;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&C241\r\n';

function decode(text: string) {
  const p = hj212.decodePacket(enc(text));
  if (!p.ok) throw new Error(p.reason);
  const s = hj212.parseSegment(p.segment);
  if (!s.ok) throw new Error(s.reason);
  return { packet: p, segment: s.segment };
}

describe('CRC16 of Appendix A', () => {
  it('[A] the standard example: 1C80, packet accepted, Flag 5 = version 2017 + ack requested', () => {
    const { packet, segment } = decode(A);
    expect(packet.crc).toBe('1C80');
    expect(segment).toMatchObject({
      qn: '20160801085857223',
      st: '32',
      cn: '1062',
      pw: '100000',
      mn: '010000A8900016F000169DC0',
      flag: 5,
      cp: 'RtdInterval=30',
    });
    expect(hj212.flagBits(segment.flag)).toEqual({ ackRequested: true, split: false, version: 1 });
  });

  it('[A] the CRC-16/MODBUS that circulates online (0759 here) is not the standard one: refused', () => {
    expect(hj212.decodePacket(enc(A.replace('1C80', '0759')))).toEqual({
      ok: false,
      reason: 'CRC: computed 1C80, packet has 0759',
    });
  });

  it('[A] the encoder rebuilds the standard example byte-exact', () => {
    const { segment } = decode(A);
    expect(new TextDecoder().decode(hj212.encodePacket(hj212.buildSegment(segment)))).toBe(A);
  });
});

describe('monitoring data', () => {
  it('[R1] real-time (2011) water data: values, markers, DataTime as China Standard Time', () => {
    const { segment } = decode(R1);
    expect(segment).toMatchObject({ cn: '2011', st: '32', mn: '81733553213013', flag: 4 });
    const d = hj212.parseMonitoringData(segment.cp);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.data.dataTime).toBe('20210320013400');
    expect(d.data.ts).toBe(Date.parse('2021-03-20T01:34:00+08:00'));
    const v = (code: string) => d.data.values.find((x) => x.code === code);
    expect(v('w01018')).toEqual({
      code: 'w01018',
      field: 'Rtd',
      text: '194.200',
      value: 194.2,
      flag: 'N',
      quality: 'good',
    });
    expect(v('w21003')).toMatchObject({ field: 'Rtd', value: 53.131, quality: 'good' });
    expect(v('w01001')).toMatchObject({ field: 'Rtd', value: 7.496, quality: 'good' });
    expect(d.data.values).toHaveLength(6); // SampleTime fields are not values
  });

  it('[R2] minute (2051) ambient air data: Avg of PM2.5, PM10, SO2, NO2, CO, O3', () => {
    const { segment } = decode(R2);
    expect(segment).toMatchObject({ cn: '2051', st: '22', mn: 'JLYP01_AIR01_0001' });
    const d = hj212.parseMonitoringData(segment.cp);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.data.ts).toBe(Date.parse('2022-05-13T16:26:00+08:00'));
    const avg = Object.fromEntries(
      d.data.values.map((x) => [x.code, x.field === 'Avg' ? x.value : undefined]),
    );
    expect(avg).toMatchObject({ a34004: 14, a34002: 31, a21026: 6, a21004: 4, a21005: 0.427, a05024: 63 });
    expect(d.data.values.every((x) => x.quality === 'good')).toBe(true);
  });

  it('[R3] the 9014 acknowledgement of the data frame with QN 20160801085000001 is byte-exact', () => {
    const ack = hj212.buildAckSegment({
      qn: '20160801085000001',
      pw: '123456',
      mn: '010000A8900016F000169DC0',
    });
    expect(new TextDecoder().decode(hj212.encodePacket(ack))).toBe(R3);
    expect(decode(R3).segment).toMatchObject({ st: '91', cn: '9014', flag: 4, cp: '' });
  });
});

describe('data markers and refusals [STD]', () => {
  it('each marker maps to a quality with its meaning; an unknown one is bad', () => {
    const cp =
      'DataTime=20220513162600;a34004-Rtd=14,a34004-Flag=N;a34002-Rtd=31,a34002-Flag=T;a21026-Rtd=6,a21026-Flag=M;a21004-Rtd=4,a21004-Flag=S;a21005-Rtd=0.4,a21005-Flag=Q;a05024-Rtd=x1,a05024-Flag=N';
    const d = hj212.parseMonitoringData(cp);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const q = Object.fromEntries(d.data.values.map((x) => [x.code, [x.quality, x.reason]]));
    expect(q).toEqual({
      a34004: ['good', undefined],
      a34002: ['uncertain', 'flag T: over the upper measurement limit (超测上限)'],
      a21026: ['bad', 'flag M: maintenance (维护)'],
      a21004: ['uncertain', 'flag S: manual input (手工输入)'],
      a21005: ['bad', 'unknown data flag Q'],
      a05024: ['bad', 'not a number: "x1"'],
    });
  });

  it('a changed digit, a wrong length, no CR LF, a bad DataTime are each refused with the reason', () => {
    expect(hj212.decodePacket(enc(R2.replace('a34004-Avg=14', 'a34004-Avg=15')))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^CRC: computed /),
    });
    expect(hj212.decodePacket(enc(R2.replace('##0411', '##0410')))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^length: /),
    });
    expect(hj212.decodePacket(enc(R2.replace('\r\n', '\n\n')))).toEqual({
      ok: false,
      reason: 'terminator: packet does not end with CR LF',
    });
    expect(hj212.parseMonitoringData('DataTime=20220231120000;a34004-Rtd=1')).toEqual({
      ok: false,
      reason: 'CP: DataTime "20220231120000" is not a date',
    });
  });
});
