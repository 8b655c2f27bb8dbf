/**
 * What the receiver appends to the durable log for one MQTT message: the topic and the
 * payload, untouched (decoding happens after the PUBACK, in the writer).
 *
 *   u16 BE topic byte length | topic (UTF-8) | payload
 */
export function encodeLogRecord(topic: string, payload: Uint8Array): Buffer {
  const n = Buffer.byteLength(topic, 'utf8');
  const out = Buffer.allocUnsafe(2 + n + payload.length);
  out.writeUInt16BE(n, 0);
  out.write(topic, 2, 'utf8');
  out.set(payload, 2 + n);
  return out;
}

export function decodeLogRecord(rec: Buffer): { topic: string; payload: Buffer } | undefined {
  if (rec.length < 2) return undefined;
  const n = rec.readUInt16BE(0);
  if (rec.length < 2 + n) return undefined;
  return { topic: rec.toString('utf8', 2, 2 + n), payload: rec.subarray(2 + n) };
}
