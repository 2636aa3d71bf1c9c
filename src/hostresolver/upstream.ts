// Forwarding a query verbatim to the host's DNS servers: each server over UDP, then each over TCP
// (Lima's order), first valid reply wins.
import dgram from "node:dgram";
import { readFileSync } from "node:fs";
import net from "node:net";
import { logger } from "../log/logger.js";
import { errorMessage } from "../util/errors.js";
import { messageLayout, readHeader, resolvConfNameservers } from "./message.js";

export interface Upstream {
  address: string;
  port: number;
}

const DNS_PORT = 53;
const RESOLV_CONF = "/etc/resolv.conf";
/** Used when resolv.conf cannot be read. */
const FALLBACK_SERVERS = ["8.8.8.8", "1.1.1.1"];
/** Per server and transport; the Go DNS client Lima uses waits 2 s. */
export const FORWARD_TIMEOUT_MS = 2000;

/** The host's resolv.conf servers (none if it lists none), or 8.8.8.8 and 1.1.1.1 if it is unreadable. */
export function systemUpstreams(file = RESOLV_CONF): Upstream[] {
  let servers: string[];
  try {
    servers = resolvConfNameservers(readFileSync(file, "utf8"));
  } catch (err) {
    logger.warn(`failed to detect system DNS, falling back to [${FALLBACK_SERVERS.join(" ")}]`, { error: errorMessage(err) });
    servers = FALLBACK_SERVERS;
  }
  return servers.map((address) => ({ address, port: DNS_PORT }));
}

/** A reply counts only if it parses and answers our query's id. */
function checkReply(query: Buffer, reply: Buffer): Buffer {
  messageLayout(reply);
  if (readHeader(reply)?.id !== readHeader(query)?.id) throw new Error("reply id does not match the query");
  return reply;
}

function exchangeUDP(query: Buffer, server: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(server.address) ? "udp6" : "udp4");
    let done = false;
    const finish = (err: Error | undefined, reply?: Buffer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (err || !reply) reject(err ?? new Error("no reply"));
      else resolve(reply);
    };
    const timer = setTimeout(() => finish(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
    socket.on("error", (err) => finish(err));
    socket.on("message", (msg) => {
      try {
        finish(undefined, checkReply(query, msg));
      } catch {
        // Not our reply: keep waiting until the timeout.
      }
    });
    // Connecting makes an ICMP "port unreachable" fail fast with ECONNREFUSED.
    socket.connect(server.port, server.address, () => socket.send(query));
  });
}

function exchangeTCP(query: Buffer, server: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.address, port: server.port });
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | undefined, reply?: Buffer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err || !reply) reject(err ?? new Error("no reply"));
      else resolve(reply);
    };
    const timer = setTimeout(() => finish(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
    socket.on("error", (err) => finish(err));
    socket.on("close", () => finish(new Error("connection closed before a reply")));
    socket.on("connect", () => socket.write(Buffer.concat([lengthPrefix(query.length), query])));
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      try {
        finish(undefined, checkReply(query, received.subarray(2, 2 + received.readUInt16BE(0))));
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

export function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(length);
  return prefix;
}

/** The first upstream reply, or undefined when every server failed over both transports. */
export async function forwardQuery(query: Buffer, servers: readonly Upstream[], timeoutMs = FORWARD_TIMEOUT_MS): Promise<Buffer | undefined> {
  for (const exchange of [exchangeUDP, exchangeTCP]) {
    for (const server of servers) {
      try {
        return await exchange(query, server, timeoutMs);
      } catch (err) {
        logger.debug(`failed to forward a DNS query to [${server.address}]:${server.port}`, { error: errorMessage(err) });
      }
    }
  }
  return undefined;
}
