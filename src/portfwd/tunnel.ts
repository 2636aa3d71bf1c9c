// The host end of the guest agent's `Tunnel` stream (§4.5): one stream per TCP connection or per
// UDP client. The first message names protocol and guest address; data follows in later messages.
import type { ClientDuplexStream } from "@grpc/grpc-js";
import type net from "node:net";
import type { GuestServiceClient, TunnelMessage } from "../guestagent/api/index.js";
import { logger } from "../log/logger.js";

export type TunnelStream = ClientDuplexStream<TunnelMessage, TunnelMessage>;
export type ClientSource = () => GuestServiceClient | undefined;

/** Opens tunnels to one guest address; ids are `<proto>-<guestAddr>-<n>` with n from 1. */
export class TunnelDialer {
  private counter = 0;

  constructor(
    private readonly client: ClientSource,
    readonly protocol: "tcp" | "udp",
    readonly guestAddr: string,
  ) {}

  /** undefined when there is no guest agent client (yet). */
  open(): { stream: TunnelStream; message: (data: Buffer) => TunnelMessage } | undefined {
    const client = this.client();
    if (!client) return undefined;
    this.counter += 1;
    const id = `${this.protocol}-${this.guestAddr}-${this.counter}`;
    const message = (data: Buffer): TunnelMessage => ({ id, protocol: this.protocol, guest_addr: this.guestAddr, data, udp_target_addr: "" });
    const stream = client.Tunnel();
    stream.write(message(Buffer.alloc(0)));
    return { stream, message };
  }
}

/**
 * Proxies one accepted host connection through a new tunnel, both ways, with backpressure.
 * Half-close travels as end(); the stream is cancelled once both directions are done.
 */
export function proxyConnection(socket: net.Socket, dialer: TunnelDialer): void {
  const tunnel = dialer.open();
  if (!tunnel) {
    logger.debug(`no guest agent connection: dropping a connection for ${dialer.guestAddr}`);
    socket.destroy();
    return;
  }
  const { stream, message } = tunnel;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    stream.cancel();
    socket.destroy();
  };

  socket.on("data", (data: Buffer) => {
    if (!stream.write(message(data))) {
      socket.pause();
      stream.once("drain", () => socket.resume());
    }
  });
  socket.on("end", () => stream.end());
  socket.on("close", finish);
  socket.on("error", (err) => {
    logger.debug(`tcp proxy for ${dialer.guestAddr}: host side: ${err.message}`);
    finish();
  });

  stream.on("data", (msg: TunnelMessage) => {
    if (msg.data.length === 0) return;
    if (!socket.write(msg.data)) {
      stream.pause();
      socket.once("drain", () => stream.resume());
    }
  });
  stream.on("end", () => {
    if (!socket.destroyed) socket.end();
  });
  stream.on("error", (err: Error & { code?: number }) => {
    logger.debug(`tcp proxy for ${dialer.guestAddr}: tunnel: ${err.message}`);
    finish();
  });
}
