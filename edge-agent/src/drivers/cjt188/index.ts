/** The CJ/T 188 driver. Imported lazily through the protocol table: it loads serialport. */
import { cjt188 } from '@ganzhi/device-profiles';
import type { Driver, DriverContext } from '../driver.js';
import { byteTimeMs } from '../meter-bus/bus-endpoint.js';
import { MeterBusLine } from '../meter-bus/bus-line.js';
import { openBusStream, settleMsOf } from '../meter-bus/open-stream.js';
import { Cjt188Driver } from './cjt188-driver.js';
import { cjt188LineKey } from './endpoint.js';
import type { Cjt188DeviceSpec } from './options.js';

/** Meters whose endpoints name the same bus share one MeterBusLine (its queue and deframer). */
export function createCjt188Driver(spec: Cjt188DeviceSpec, ctx: DriverContext): Driver {
  const { endpoint } = spec;
  const key = cjt188LineKey(endpoint);
  const line = ctx.lines.acquire(
    key,
    (logger) =>
      new MeterBusLine<cjt188.Frame>({
        open: () => openBusStream(endpoint, ctx.clock),
        deframer: new cjt188.Cjt188Deframer(),
        clock: ctx.clock,
        random: ctx.random,
        logger,
        settleMs: settleMsOf(byteTimeMs(endpoint)),
      }),
  );
  return new Cjt188Driver(spec, line, ctx, () => ctx.lines.release(key));
}
