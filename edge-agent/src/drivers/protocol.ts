/**
 * What a protocol brings to the agent. Each `drivers/<protocol>/protocol.ts` exports one of
 * these, and `drivers/protocols.ts` lists them in one table: the config schema, the config
 * checks, endpoint parsing and the lazy driver loading all read that table. Adding a protocol
 * is adding a folder and one line in the table.
 *
 * A protocol module must stay light: it is imported by `validate` and by every agent, so it
 * may import its TypeBox schemas and endpoint parsing, never its driver's libraries (those
 * come with `load()`).
 */
import type { Profile } from '@ganzhi/device-profiles';
import type { Static, TObject, TProperties } from '@sinclair/typebox';
import type { DeviceSpecBase, DriverFactory, EndpointBase } from './driver.js';

export interface ResolveContext {
  /** the config file's folder: relative paths in protocol options are relative to it */
  baseDir: string;
  /** the agent's state folder (absolute) */
  stateDir: string;
}

/** The physical line a device occupies, for the config's "one line, one set of settings" checks. */
export interface LineClaim {
  /** the line (the protocol's lineKey) */
  key: string;
  /** exclusive: the device owns the line (a talking serial device); shared: devices take turns */
  mode: 'exclusive' | 'shared';
  /** shared lines: devices on one line must agree on these (e.g. `9600/none/8/1`) */
  settings?: string;
  /**
   * shared lines: the device's address on the line (a Modbus unit id, a meter number), unique per
   * line; `key` is the config key it is given by (or `path` below it), `label` how to name it
   */
  unit?: { value: number | string; key: string; path?: (string | number)[]; label?: string };
}

/** Something allowed but worth saying at `validate` and start-up, at a path in the device entry. */
export interface FieldWarning {
  path: (string | number)[];
  message: string;
}

export interface ProtocolModule<
  S extends DeviceSpecBase = DeviceSpecBase,
  E extends EndpointBase = EndpointBase,
  P extends TProperties = TProperties,
> {
  /** the profile protocol this module reads (a profile's `protocol`) */
  readonly protocol: Profile['protocol'];
  /** endpoint URL schemes, with what each means (for the schema's description) */
  readonly schemes: Readonly<Record<E['scheme'], string>>;
  /** config keys this protocol adds to a device entry, e.g. `{ opcua: OpcuaOptions }` */
  readonly deviceFields: P;
  /**
   * The endpoint of a URL with one of this protocol's schemes; throws a coded error naming why
   * (refusing credentials in the URL: see endpoint-url.ts). `defaultBaud` comes from the profile.
   */
  parseEndpoint(url: string, defaultBaud: number): E;
  /** devices with the same line key share one transport at run time */
  lineKey(e: E): string;
  /** the line this device occupies, when the config must check how it is shared */
  lineClaim?(e: E, fields: Static<TObject<P>>): LineClaim | undefined;
  /** what is wrong in the device's own fields that the schema cannot say (e.g. a section this protocol needs) */
  problems?(fields: Static<TObject<P>>): FieldWarning[];
  /** what to warn about in the device's own fields (allowed, but probably not meant) */
  warnings?(fields: Static<TObject<P>>): FieldWarning[];
  /** the device's spec from the common part, its endpoint and its own fields (schema-valid) */
  resolve(
    base: Omit<DeviceSpecBase, 'protocol' | 'endpoint'>,
    e: E,
    fields: Static<TObject<P>>,
    ctx: ResolveContext,
  ): S;
  /** the driver factory; imported only when a device of this protocol is configured */
  load(): Promise<DriverFactory<S>>;
}
