// The guest end of a `Tunnel` stream (Lima's gRPC port forwarding): the first message names the
// protocol and the guest address; the guest agent dials it from inside the guest (so `0.0.0.0:P`
// and `[::]:P` reach local listeners) and copies bytes both ways. TCP: one stream per connection.
// UDP: one stream per host-side client, one datagram per message.
// A failure ends the stream with a gRPC error status (as Lima's Go server returns the dial error),
// never with an exception: one bad tunnel must not take the agent down.
import { splitHostPort } from "../util/hostport.js";
import dgram from "node:dgram";
import net from "node:net";
import { getSystemErrorMap } from "node:util";
import { status, type ServerDuplexStream } from "@grpc/grpc-js";
import type { TunnelMessage } from "./api/index.js";

type TunnelCall = ServerDuplexStream<TunnelMessage, TunnelMessage>;

/** "ip:port" or "[ipv6]:port" → host and a valid port number; undefined when malformed. */
export function splitHostPortNumber(addr: string): { host: string; port: number } | undefined {
  const parts = splitHostPort(addr);
  if (!parts || !/^\d+$/.test(parts.port)) return undefined;
  const port = Number(parts.port);
  return port <= 65535 ? { host: parts.host, port } : undefined;
}

function reply(id: string, data: Buffer): TunnelMessage {
  return { id, protocol: "", data, guest_addr: "", udp_target_addr: "" };
}

function isOpen(call: TunnelCall): boolean {
  return !call.destroyed && !call.writableEnded;
}

/** Ends the stream with an error status (the built-in 'error' listener sends it as the trailer). */
function fail(call: TunnelCall, code: status, details: string): void {
  if (isOpen(call)) call.emit("error", { code, details });
}

function finish(call: TunnelCall): void {
  if (isOpen(call)) call.end();
}

/** Go's wording for a socket error: "dial tcp 127.0.0.1:1: connect: connection refused". */
export function dialErrorText(protocol: string, addr: string, err: NodeJS.ErrnoException): string {
  const text = typeof err.errno === "number" ? getSystemErrorMap().get(err.errno)?.[1] : undefined;
  return `dial ${protocol} ${addr}: ${err.syscall ?? "dial"}: ${text ?? err.message}`;
}

/** Serves one Tunnel call until either side closes. */
export function handleTunnel(call: TunnelCall): void {
  call.once("data", (first: TunnelMessage) => {
    const target = splitHostPortNumber(first.guest_addr);
    if (!target) {
      fail(call, status.INVALID_ARGUMENT, `tunnel ${first.id}: bad guest address ${JSON.stringify(first.guest_addr)}`);
      return;
    }
    if (first.protocol === "udp") tunnelUDP(call, first, target);
    else if (first.protocol === "tcp") tunnelTCP(call, first, target);
    else fail(call, status.INVALID_ARGUMENT, `tunnel ${first.id}: unknown protocol ${JSON.stringify(first.protocol)}`);
  });
}

function tunnelTCP(call: TunnelCall, first: TunnelMessage, target: { host: string; port: number }): void {
  const socket = net.connect({ host: target.host, port: target.port });
  socket.setNoDelay(true);
  let connected = false;
  socket.once("connect", () => (connected = true));
  const toGuest = (msg: TunnelMessage): void => {
    if (msg.data.length === 0 || socket.destroyed) return;
    if (!socket.write(msg.data)) {
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
    if (!isOpen(call)) return;
    if (!call.write(reply(first.id, data))) {
      socket.pause();
      call.once("drain", () => socket.resume());
    }
  });
  socket.on("error", (err: NodeJS.ErrnoException) => {
    if (!connected) fail(call, status.UNKNOWN, dialErrorText("tcp", first.guest_addr, err));
    else finish(call);
  });
  socket.on("close", () => finish(call));
}

const UDP_RECEIVE_BUFFER_BYTES = 4 << 20;

function tunnelUDP(call: TunnelCall, first: TunnelMessage, target: { host: string; port: number }): void {
  const socket = dgram.createSocket(net.isIPv6(target.host) ? "udp6" : "udp4");
  const pending: Buffer[] = first.data.length > 0 ? [first.data] : [];
  let connected = false;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    socket.close();
  };
  // send() on a closed socket throws, so every send goes through here.
  const send = (data: Buffer): void => {
    if (!closed) socket.send(data);
  };
  socket.connect(target.port, target.host || undefined, () => {
    connected = true;
    // Replies queue here while the agent is busy sending earlier ones to the host: the default
    // buffer (208 KiB) overflowed under bursts in a TCG guest. The kernel caps it at 2 × rmem_max.
    try {
      socket.setRecvBufferSize(UDP_RECEIVE_BUFFER_BYTES);
    } catch {
      // keep the default
    }
    for (const data of pending.splice(0)) send(data);
  });
  call.on("data", (msg: TunnelMessage) => {
    if (msg.data.length === 0) return;
    if (connected) send(msg.data);
    else pending.push(msg.data);
  });
  call.on("end", () => {
    close();
    finish(call);
  });
  call.on("error", close);
  call.on("cancelled", close);
  socket.on("message", (data: Buffer) => {
    if (isOpen(call)) call.write(reply(first.id, data));
  });
  socket.on("error", (err: NodeJS.ErrnoException) => {
    close();
    fail(call, status.UNKNOWN, connected ? `${first.guest_addr}: ${err.message}` : dialErrorText("udp", first.guest_addr, err));
  });
}
