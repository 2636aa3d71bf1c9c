// UDP forwarding: one host socket per forward; clients told apart by source address, each with
// its own tunnel stream (one datagram per message) that is closed after a quiet period.
import type dgram from "node:dgram";
import type { TunnelMessage } from "../guestagent/api/index.js";
import { logger } from "../log/logger.js";
import type { TunnelDialer, TunnelStream } from "./tunnel.js";

/** Idle time after which a client's stream is closed (gvisor-tap-vsock's UDP conntrack timeout). */
export const UDP_CLIENT_IDLE_MS = 90_000;
/** Datagrams queued towards the guest beyond this are dropped, as a full socket buffer would. */
const MAX_PENDING_BYTES = 8 << 20;

interface UDPClient {
  stream: TunnelStream;
  message: (data: Buffer) => TunnelMessage;
  timer: NodeJS.Timeout;
}

export class UDPProxy {
  private readonly clients = new Map<string, UDPClient>();
  private closed = false;

  constructor(
    private readonly socket: dgram.Socket,
    /** The dialer for the forward's current guest address. */
    private readonly dialer: () => TunnelDialer,
    private readonly idleMs = UDP_CLIENT_IDLE_MS,
  ) {
    socket.on("message", (data, rinfo) => this.fromHost(data, rinfo));
    socket.on("error", (err) => logger.debug(`udp proxy for ${dialer().guestAddr}: ${err.message}`));
  }

  private fromHost(data: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    const client = this.clients.get(key) ?? this.connect(key, rinfo);
    if (!client) return;
    client.timer.refresh();
    if (client.stream.writableLength > MAX_PENDING_BYTES) return;
    client.stream.write(client.message(data));
  }

  private connect(key: string, rinfo: dgram.RemoteInfo): UDPClient | undefined {
    const dialer = this.dialer();
    const tunnel = dialer.open();
    if (!tunnel) {
      logger.debug(`no guest agent connection: dropping a datagram for ${dialer.guestAddr}`);
      return undefined;
    }
    const timer = setTimeout(() => this.drop(key), this.idleMs);
    timer.unref();
    const client: UDPClient = { ...tunnel, timer };
    this.clients.set(key, client);
    tunnel.stream.on("data", (msg: TunnelMessage) => {
      if (this.closed || msg.data.length === 0) return;
      client.timer.refresh();
      this.socket.send(msg.data, rinfo.port, rinfo.address);
    });
    const forget = (): void => {
      if (this.clients.get(key) === client) this.drop(key);
    };
    tunnel.stream.on("end", forget);
    tunnel.stream.on("error", (err: Error) => {
      logger.debug(`udp proxy for ${dialer.guestAddr}: tunnel: ${err.message}`);
      forget();
    });
    return client;
  }

  private drop(key: string): void {
    const client = this.clients.get(key);
    if (!client) return;
    this.clients.delete(key);
    clearTimeout(client.timer);
    client.stream.end();
    client.stream.cancel();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const key of [...this.clients.keys()]) this.drop(key);
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
