import { describe, expect, it } from 'vitest';
import { resolveNodeId } from './node-id.js';

describe('resolveNodeId', () => {
  const ns = ['http://opcfoundation.org/UA/', 'urn:server', 'urn:ganzhi:pump-station'];
  it('maps nsu= to the session namespace index and leaves ns= alone', () => {
    expect(resolveNodeId('nsu=urn:ganzhi:pump-station;s=Pump1.Flow', ns)).toEqual({
      ok: true,
      nodeId: 'ns=2;s=Pump1.Flow',
    });
    expect(resolveNodeId('nsu=urn:ganzhi:pump-station;i=1001', ns)).toEqual({
      ok: true,
      nodeId: 'ns=2;i=1001',
    });
    expect(resolveNodeId('ns=1;s=X', ns)).toEqual({ ok: true, nodeId: 'ns=1;s=X' });
  });
  it('names a namespace the server does not serve', () => {
    expect(resolveNodeId('nsu=urn:other;s=X', ns)).toEqual({
      ok: false,
      reason: 'namespace not served: urn:other',
    });
  });
});
