// Flow generator for the Node-RED benchmark peer (edge-agent/bench/agent-vs-nodered.bench.mjs).
// Writes a headless Node-RED user directory: settings.js (no editor, no HTTP nodes, no
// telemetry, fixed credential secret), flows.json and a node_modules link to the modules
// installed next to this file. Per device: a modbus-client config node (TCP), a modbus-read
// polling the device's float32 input registers, a function node decoding them and shaping a
// JSON payload like the agent's data batch, and an mqtt out node (QoS 1) on one shared broker
// connection. Node-RED is a benchmark peer only, never a project dependency.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_RED_DIR = dirname(fileURLToPath(import.meta.url));

/** The function node: registers (big-endian words, ABCD) → one reading per float32. */
function decodeFunction(points, unit) {
  return `const w = msg.payload;
const b = Buffer.alloc(w.length * 2);
for (let i = 0; i < w.length; i++) b.writeUInt16BE(w[i] & 0xffff, i * 2);
const ts = Date.now();
const readings = [];
for (let i = 0; i < ${points}; i++) {
  const value = b.readFloatBE(i * 4);
  readings.push({ point: 'f' + i, value, ts, quality: Number.isFinite(value) ? 'good' : 'bad', unit: '${unit}' });
}
msg.payload = JSON.stringify({ device: msg.topic, sent: ts, readings });
return msg;`;
}

/**
 * @param {{ devices: { id: string; host: string; port: number; unit: number }[]; points: number;
 *   unit?: string; brokerPort: number; topicPrefix?: string; pollMs?: number }} o
 */
export function generateFlow(o) {
  const tab = 'tab-bench';
  const broker = 'mqtt-broker-bench';
  const prefix = o.topicPrefix ?? 'nodered/bench';
  const nodes = [
    { id: tab, type: 'tab', label: 'ganzhi bench', disabled: false, info: '' },
    {
      id: broker,
      type: 'mqtt-broker',
      name: 'local broker',
      broker: '127.0.0.1',
      port: String(o.brokerPort),
      clientid: 'nodered-bench',
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
      autoUnsubscribe: true,
      birthTopic: '',
      closeTopic: '',
      willTopic: '',
      userProps: '',
      sessionExpiry: '',
    },
  ];
  o.devices.forEach((d, i) => {
    const client = `client-${i}`;
    const read = `read-${i}`;
    const fn = `fn-${i}`;
    const out = `out-${i}`;
    nodes.push(
      {
        id: client,
        type: 'modbus-client',
        name: `${d.id}-client`,
        clienttype: 'tcp',
        bufferCommands: true,
        stateLogEnabled: false,
        queueLogEnabled: false,
        failureLogEnabled: false,
        tcpHost: d.host,
        tcpPort: String(d.port),
        tcpType: 'DEFAULT',
        serialPort: '/dev/ttyUSB',
        serialType: 'RTU-BUFFERD',
        serialBaudrate: '9600',
        serialDatabits: '8',
        serialStopbits: '1',
        serialParity: 'none',
        serialConnectionDelay: '100',
        serialAsciiResponseStartDelimiter: '0x3A',
        unit_id: String(d.unit),
        commandDelay: '1',
        clientTimeout: '1000',
        reconnectOnTimeout: true,
        reconnectTimeout: '2000',
        parallelUnitIdsAllowed: true,
        showErrors: false,
        showWarnings: false,
        showLogs: false,
      },
      {
        id: read,
        type: 'modbus-read',
        z: tab,
        name: `${d.id}-read`,
        topic: d.id,
        showStatusActivities: false,
        logIOActivities: false,
        showErrors: false,
        showWarnings: false,
        unitid: String(d.unit),
        dataType: 'InputRegister',
        adr: '0',
        quantity: String(o.points * 2),
        rate: String(o.pollMs ?? 1000),
        rateUnit: 'ms',
        delayOnStart: false,
        enableDeformedMessages: false,
        startDelayTime: '',
        server: client,
        useIOFile: false,
        ioFile: '',
        useIOForPayload: false,
        emptyMsgOnFail: false,
        x: 150,
        y: 40 + i * 60,
        wires: [[fn], []],
      },
      {
        id: fn,
        type: 'function',
        z: tab,
        name: `${d.id}-shape`,
        func: decodeFunction(o.points, o.unit ?? 'V'),
        outputs: 1,
        timeout: 0,
        noerr: 0,
        initialize: '',
        finalize: '',
        libs: [],
        x: 350,
        y: 40 + i * 60,
        wires: [[out]],
      },
      {
        id: out,
        type: 'mqtt out',
        z: tab,
        name: `${d.id}-out`,
        topic: `${prefix}/${d.id}`,
        qos: '1',
        retain: 'false',
        respTopic: '',
        contentType: '',
        userProps: '',
        correl: '',
        expiry: '',
        broker,
        x: 550,
        y: 40 + i * 60,
        wires: [],
      },
    );
  });
  return nodes;
}

/** Headless settings: no editor, no HTTP-in nodes, loopback, quiet logs, no network lookups. */
export function settingsJs(userDir, uiPort) {
  return `module.exports = ${JSON.stringify(
    {
      userDir,
      flowFile: 'flows.json',
      credentialSecret: 'ganzhi-bench-not-a-secret',
      uiHost: '127.0.0.1',
      uiPort,
      httpAdminRoot: false,
      httpNodeRoot: false,
      disableEditor: true,
      logging: { console: { level: 'warn', metrics: false, audit: false } },
      externalModules: {
        autoInstall: false,
        palette: { allowInstall: false },
        modules: { allowInstall: false },
      },
      functionExternalModules: false,
      telemetry: { enabled: false },
      diagnostics: { enabled: false, ui: false },
      editorTheme: { projects: { enabled: false } },
    },
    null,
    2,
  )};\n`;
}

/** Writes settings.js, flows.json, package.json and the node_modules link into userDir. */
export function writeUserDir(userDir, flowOptions, uiPort) {
  mkdirSync(userDir, { recursive: true });
  writeFileSync(join(userDir, 'settings.js'), settingsJs(userDir, uiPort));
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(generateFlow(flowOptions), null, 1));
  writeFileSync(
    join(userDir, 'package.json'),
    JSON.stringify({
      name: 'ganzhi-bench-user-dir',
      private: true,
      dependencies: { 'node-red-contrib-modbus': '*' },
    }),
  );
  symlinkSync(join(NODE_RED_DIR, 'node_modules'), join(userDir, 'node_modules'), 'dir');
  return join(userDir, 'settings.js');
}
