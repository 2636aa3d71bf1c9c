// The guest end of a `Tunnel` stream (Lima's gRPC port forwarding): the first message names the
// protocol and the guest address; the guest agent dials it from inside the guest (so `0.0.0.0:P`
// and `[::]:P` reach local listeners) and copies bytes both ways. TCP: one stream per connection.
// UDP: one stream per host-side client, one datagram per message.
import dgram from "node:dgram";
import net from "node:net";
import type { ServerDuplexStream } from "@grpc/grpc-js";
import type { TunnelMessage } from "./api/index.js";

type TunnelCall = ServerDuplexStream<TunnelMessage, TunnelMessage>;

/** "ip:port" or "[ipv6]:port" → host and port; undefined when malformed. */
export function splitHostPort(addr: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([^:[\]]*):(\d+)$/.exec(addr);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { host: m[1] ?? "", port };
}

function reply(id: string, data: Buffer): TunnelMessage {
  return { id, protocol: "", data, guest_addr: "", udp_target_addr: "" };
}

/** Serves one Tunnel call until either side closes. */
export function handleTunnel(call: TunnelCall): void {
  call.once("data", (first: TunnelMessage) => {
    const target = splitHostPort(first.guest_addr);
    if (!target) {
      call.destroy(new Error(`tunnel ${first.id}: bad guest address ${JSON.stringify(first.guest_addr)}`));
      return;
    }
    if (first.protocol === "udp") tunnelUDP(call, first, target);
    else if (first.protocol === "tcp") tunnelTCP(call, first, target);
    else call.destroy(new Error(`tunnel ${first.id}: unknown protocol ${JSON.stringify(first.protocol)}`));
  });
}

function tunnelTCP(call: TunnelCall, first: TunnelMessage, target: { host: string; port: number }): void {
  const socket = net.connect({ host: target.host, port: target.port });
  socket.setNoDelay(true);
  const toGuest = (msg: TunnelMessage): void => {
    if (msg.data.length > 0 && !socket.write(msg.data)) {
      call.pause();
      socket.once("drain", () => call.resume());
    }
  };
  toGuest(first);
  call.on("data", toGuest);
  call.on("end", () => socket.end());
  call.on("error", () => socket.destroy());
  call.on("cancelled", () => socket.destroy());
  socket.on("data", (data: Buffer) => {
    if (!call.write(reply(first.id, data))) {
      socket.pause();
      call.once("drain", () => socket.resume());
    }
  });
  socket.on("end", () => call.end());
  socket.on("error", () => call.end());
  socket.on("close", () => {
    if (!call.writableEnded) call.end();
  });
}

function tunnelUDP(call: TunnelCall, first: TunnelMessage, target: { host: string; port: number }): void {
  const socket = dgram.createSocket(net.isIPv6(target.host) ? "udp6" : "udp4");
  const pending: Buffer[] = first.data.length > 0 ? [first.data] : [];
  let connected = false;
  socket.connect(target.port, target.host, () => {
    connected = true;
    for (const data of pending.splice(0)) socket.send(data);
  });
  call.on("data", (msg: TunnelMessage) => {
    if (msg.data.length === 0) return;
    if (connected) socket.send(msg.data);
    else pending.push(msg.data);
  });
  const close = (): void => {
    try {
      socket.close();
    } catch {
      // already closed
    }
  };
  call.on("end", () => {
    close();
    call.end();
  });
  call.on("error", close);
  call.on("cancelled", close);
  socket.on("message", (data: Buffer) => call.write(reply(first.id, data)));
  socket.on("error", () => {
    close();
    if (!call.writableEnded) call.end();
  });
}
