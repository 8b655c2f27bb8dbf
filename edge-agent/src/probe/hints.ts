/**
 * What to check when the probe cannot reach a device, per system error code — the
 * commissioning engineer sees `ECONNREFUSED` and needs to know whether to look at the device,
 * the port, the network or a firewall. Used by every probe (Modbus, OPC UA, serial).
 */

const HINTS: Record<string, (where: string) => string> = {
  ECONNREFUSED: (w) =>
    `nothing accepts connections at ${w}: is the device (or its serial server) switched on and its Modbus TCP / OPC UA server enabled, is the port right (Modbus TCP 502, OPC UA 4840 unless configured), or does a firewall reject the connection?`,
  ETIMEDOUT: (w) =>
    `no answer to the connection attempt to ${w}: is the address right and reachable from this gateway (same network, routing, VPN), or does a firewall drop the packets?`,
  EHOSTUNREACH: (w) =>
    `no route to ${w}: check the gateway's own network (cable or 4G link up, IP address and netmask, default route)`,
  ENETUNREACH: (w) =>
    `no route to ${w}: check the gateway's own network (cable or 4G link up, IP address and netmask, default route)`,
  ENOTFOUND: (w) =>
    `the name in ${w} does not resolve: check its spelling, the gateway's DNS, or use the IP address`,
  EAI_AGAIN: (w) =>
    `the name in ${w} could not be resolved now (DNS not answering): retry, or use the IP address`,
  ECONNRESET: (w) =>
    `${w} closed the connection: many devices accept one client at a time (is another master connected?), or allow only listed client addresses`,
  EPIPE: (w) => `${w} closed the connection while the probe was writing: is another master connected?`,
  EACCES: (w) =>
    `no permission to open ${w}: add the user to the dialout group (sudo usermod -aG dialout $USER, then log in again)`,
  ENOENT: (w) => `${w} does not exist: check the path (ls /dev/ttyUSB* /dev/ttyS* /dev/serial/by-id/)`,
  EBUSY: (w) => `${w} is in use by another program (another agent, a terminal program)`,
};

/** The system error code in a message (`connection: ECONNREFUSED`, `connect ECONNREFUSED 127.0.0.1:4840`). */
export function errorCodeOf(message: string): string | undefined {
  const m = /\b(E[A-Z]{3,}|EAI_AGAIN)\b/.exec(message);
  if (m) return m[1];
  if (/No such file or directory/i.test(message)) return 'ENOENT';
  if (/Permission denied/i.test(message)) return 'EACCES';
  if (/Cannot lock port|Resource temporarily unavailable/i.test(message)) return 'EBUSY';
  return undefined;
}

/** `message` with what to check appended, when its error code is one we know. */
export function withHint(message: string, where: string): string {
  const code = errorCodeOf(message);
  const hint = code ? HINTS[code] : undefined;
  return hint ? `${message} — ${hint(where)}` : message;
}
