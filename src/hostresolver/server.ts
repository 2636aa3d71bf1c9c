// The host resolver's UDP and TCP DNS servers on 127.0.0.1 (random ports). The guest reaches them
// through SLIRP's gateway: 09-host-dns-setup.sh DNATs 192.168.5.3:53 to 192.168.5.2:<port>.
import dgram from "node:dgram";
import net from "node:net";
import { logger } from "../log/logger.js";
import { errorMessage } from "../util/errors.js";
import { createHandler, type HandlerOptions, type QueryHandler } from "./handler.js";
import { lengthPrefix } from "./upstream.js";

const LISTEN_ADDRESS = "127.0.0.1";
/** A TCP client idle this long is disconnected (the Go DNS server's idle timeout). */
const TCP_IDLE_TIMEOUT_MS = 8000;

export interface HostResolver {
  udpPort: number;
  tcpPort: number;
  close(): Promise<void>;
}

function serveUDP(handler: QueryHandler, port = 0): Promise<dgram.Socket> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (msg, peer) => {
    handler(msg, "udp")
      .then((reply) => reply && socket.send(reply, peer.port, peer.address))
      .catch((err: unknown) => logger.debug("handleQuery failed writing DNS reply", { error: errorMessage(err) }));
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, LISTEN_ADDRESS, () => {
      socket.off("error", reject);
      socket.on("error", (err) => logger.debug("DNS UDP socket error", { error: errorMessage(err) }));
      resolve(socket);
    });
  });
}

/** RFC 1035 §4.2.2 framing: each message prefixed by its 2-byte length; replies in query order. */
function serveTCPConnection(conn: net.Socket, handler: QueryHandler): void {
  let pending = Buffer.alloc(0);
  let replies = Promise.resolve();
  conn.setTimeout(TCP_IDLE_TIMEOUT_MS, () => conn.destroy());
  conn.on("error", (err) => logger.debug("DNS TCP connection error", { error: errorMessage(err) }));
  conn.on("data", (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      const query = pending.subarray(2, 2 + pending.readUInt16BE(0));
      pending = pending.subarray(2 + query.length);
      replies = replies.then(async () => {
        const reply = await handler(query, "tcp");
        if (reply && conn.writable) conn.write(Buffer.concat([lengthPrefix(reply.length), reply]));
      }).catch((err: unknown) => logger.debug("handleQuery failed writing DNS reply", { error: errorMessage(err) }));
    }
  });
}

function serveTCP(handler: QueryHandler, connections: Set<net.Socket>, port = 0): Promise<net.Server> {
  const server = net.createServer((conn) => {
    connections.add(conn);
    conn.on("close", () => connections.delete(conn));
    serveTCPConnection(conn, handler);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, LISTEN_ADDRESS, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

const portOf = (address: net.AddressInfo | string | null): number => (typeof address === "object" && address ? address.port : 0);

/** Starts the UDP and TCP servers; `close()` stops both and drops open TCP connections. */
export async function startHostResolver(options: HandlerOptions): Promise<HostResolver> {
  const handler = createHandler(options);
  const udp = await serveUDP(handler);
  const connections = new Set<net.Socket>();
  let tcp: net.Server;
  try {
    tcp = await serveTCP(handler, connections);
  } catch (err) {
    udp.close();
    throw err;
  }
  const udpPort = udp.address().port;
  const tcpPort = portOf(tcp.address());
  logger.debug(`Start udp DNS listening on: ${LISTEN_ADDRESS}:${udpPort}`);
  logger.debug(`Start tcp DNS listening on: ${LISTEN_ADDRESS}:${tcpPort}`);
  return {
    udpPort,
    tcpPort,
    close: async () => {
      for (const conn of connections) conn.destroy();
      await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
    },
  };
}

/** `limactl debug dns`: the resolver on fixed ports of 127.0.0.1, TCP only when a port is given. */
export async function serveDNSOn(options: HandlerOptions, udpPort: number, tcpPort: number): Promise<void> {
  const handler = createHandler(options);
  await serveUDP(handler, udpPort);
  logger.debug(`Start udp DNS listening on: ${LISTEN_ADDRESS}:${udpPort}`);
  if (tcpPort <= 0) return;
  await serveTCP(handler, new Set(), tcpPort);
  logger.debug(`Start tcp DNS listening on: ${LISTEN_ADDRESS}:${tcpPort}`);
}
