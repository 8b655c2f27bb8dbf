/** A raw MQTT connection for protocol tests: send bytes, read parsed packets, see the close. */
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet';

export class RawClient {
  readonly packets: Packet[] = [];
  closed = false;
  readonly #socket: Socket;
  readonly #closedP: Promise<void>;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p) => {
      this.packets.push(p);
      for (const w of this.#waiters) w();
    });
    parser.on('error', () => {});
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', () => {});
    this.#closedP = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        for (const w of this.#waiters) w();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = netConnect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(p: Parameters<typeof mqttPacket.generate>[0] | Buffer | number[]): void {
    if (Buffer.isBuffer(p)) this.#socket.write(p);
    else if (Array.isArray(p)) this.#socket.write(Buffer.from(p));
    else this.#socket.write(mqttPacket.generate(p));
  }

  /** Resolves with the first packet of `cmd`, or undefined if the connection closes first. */
  async next(cmd: string, timeoutMs = 5000): Promise<Packet | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.packets.findIndex((p) => p.cmd === cmd);
      if (i >= 0) return this.packets.splice(i, 1)[0];
      if (this.closed) return undefined;
      if (Date.now() > deadline) throw new Error(`no ${cmd} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
      this.#waiters = [];
    }
  }

  /** True if the broker still answers a PINGREQ (so everything sent before was processed). */
  async alive(): Promise<boolean> {
    if (this.closed) return false;
    this.send({ cmd: 'pingreq' });
    return (await this.next('pingresp')) !== undefined;
  }

  whenClosed(): Promise<void> {
    return this.#closedP;
  }

  destroy(): Promise<void> {
    this.#socket.destroy();
    return this.#closedP;
  }
}

export function connectPacket(over: Partial<IConnectPacket> = {}): IConnectPacket {
  return {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    clientId: `raw-${Math.random().toString(36).slice(2, 10)}`,
    keepalive: 30,
    ...over,
  };
}
