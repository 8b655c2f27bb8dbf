import { describe, expect, it } from 'vitest';
import { commonCodeToUnitId, engineeringUnitFor } from './units.js';

describe('engineering units', () => {
  it('maps profile unit symbols to UN/CEFACT codes packed as OPC UA Part 8 says', () => {
    expect(commonCodeToUnitId('CEL')).toBe(4408652); // the value Part 8 gives for degree Celsius
    expect(engineeringUnitFor('Cel')).toMatchObject({ unitId: 4408652, displayName: '°C' });
    expect(engineeringUnitFor('kW.h').unitId).toBe(commonCodeToUnitId('KWH'));
    expect(engineeringUnitFor('ug/m3')).toMatchObject({
      unitId: commonCodeToUnitId('GQ'),
      displayName: 'µg/m³',
    });
  });

  it('keeps an unknown unit as its display name with unitId -1', () => {
    expect(engineeringUnitFor('NTU')).toMatchObject({ unitId: -1, displayName: 'NTU' });
    expect(engineeringUnitFor('toString').unitId).toBe(-1);
  });
});
