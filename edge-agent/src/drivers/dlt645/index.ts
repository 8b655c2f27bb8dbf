/** The DL/T 645 driver. Imported lazily through the protocol table: it loads serialport. */
import { dlt645 } from '@ganzhi/device-profiles';
import type { Driver, DriverContext } from '../driver.js';
import { byteTimeMs } from '../meter-bus/bus-endpoint.js';
import { MeterBusLine } from '../meter-bus/bus-line.js';
import { openBusStream, settleMsOf } from '../meter-bus/open-stream.js';
import { Dlt645Driver } from './dlt645-driver.js';
import { dlt645LineKey } from './endpoint.js';
import type { Dlt645DeviceSpec } from './options.js';

/** Meters whose endpoints name the same bus share one MeterBusLine (its queue and deframer). */
export function createDlt645Driver(spec: Dlt645DeviceSpec, ctx: DriverContext): Driver {
  const { endpoint } = spec;
  const key = dlt645LineKey(endpoint);
  const line = ctx.lines.acquire(
    key,
    (logger) =>
      new MeterBusLine<dlt645.Frame>({
        open: () => openBusStream(endpoint, ctx.clock),
        deframer: new dlt645.Dlt645Deframer(),
        clock: ctx.clock,
        random: ctx.random,
        logger,
        settleMs: settleMsOf(byteTimeMs(endpoint)),
      }),
  );
  return new Dlt645Driver(spec, line, ctx, () => ctx.lines.release(key));
}
