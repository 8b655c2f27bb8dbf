/**
 * OPC UA writes into simulated devices. Every Value write of a served variable goes through
 * here before node-opcua stores it, with the results of the Write service (OPC UA Part 4,
 * 5.10.4, operation level result codes):
 * - a node whose AccessLevel lacks CurrentWrite (a read-only point) → BadNotWritable;
 * - a variant whose built-in type is not the node's DataType, an array, or a Null → BadTypeMismatch
 *   (a PLC does not convert: writing a Float to a Double node is the client's mistake);
 * - a value outside the point's range or enum → BadOutOfRange;
 * - else the device takes it (the point holds the value; the points derived from it follow)
 *   and node-opcua stores it as the variable's value until the next tick serves it again.
 * The device logs every attempt, refused or not.
 */
import { DataType, type DataValue, type StatusCode, StatusCodes, VariantArrayType } from 'node-opcua';
import type { Logger } from 'pino';
import type { PointBinding } from './address-space.js';
import { BUILTIN_TYPE_ID } from './data-types.js';

type WriteValueFn = (...args: unknown[]) => unknown;

/** A variant's value as plain JSON for the write log (typed arrays, bigints, buffers). */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && v !== null) return String(v);
  return v;
}

export function acceptWrites(bindings: readonly PointBinding[], log?: Logger): void {
  for (const b of bindings) {
    const v = b.variable;
    const original = v.writeValue.bind(v) as WriteValueFn;
    const expected = BUILTIN_TYPE_ID[b.dataType] as DataType;
    const ns = v.addressSpace.getNamespaceUri(v.nodeId.namespace);
    const nodeId = `nsu=${ns};${v.nodeId.toString().replace(/^ns=\d+;/, '')}`;
    const wrapped: WriteValueFn = (context, dataValue, ...rest) => {
      const callback = rest.find((a) => typeof a === 'function') as
        | ((err: Error | null, status: StatusCode) => void)
        | undefined;
      if (!callback) return original(context, dataValue, ...rest);
      const variant = (dataValue as DataValue).value;
      const type = variant?.dataType ?? DataType.Null;
      const write = {
        nodeId,
        dataType: DataType[type] ?? String(type),
        raw: plain(variant?.value ?? null),
      };
      const refuse = (status: 'BadNotWritable' | 'BadTypeMismatch', reason: string): void => {
        if (b.device.write) b.device.write(b.point.name, { ...write, refused: { status, reason } });
        callback(null, StatusCodes[status]);
      };
      if (!v.isWritable(context as Parameters<typeof v.isWritable>[0]) || !b.device.write) {
        refuse('BadNotWritable', `${b.point.name} is read-only (AccessLevel has no CurrentWrite)`);
        return;
      }
      if (type !== expected || variant?.arrayType !== VariantArrayType.Scalar) {
        refuse(
          'BadTypeMismatch',
          `${b.point.name} is a scalar ${b.dataType}; got ${variant?.arrayType === VariantArrayType.Scalar ? '' : 'an array of '}${write.dataType}`,
        );
        return;
      }
      const r = b.device.write(b.point.name, write);
      if (r.status !== 'Good') {
        log?.info({ device: b.device.id, point: b.point.name, status: r.status }, 'OPC UA write refused');
        callback(
          null,
          (StatusCodes as unknown as Record<string, StatusCode>)[r.status] ?? StatusCodes.BadInternalError,
        );
        return;
      }
      b.writtenAt = Date.now();
      return original(context, dataValue, ...rest);
    };
    (v as unknown as { writeValue: WriteValueFn }).writeValue = wrapped;
  }
}
