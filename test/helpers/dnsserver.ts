// A small authoritative DNS server (UDP and TCP on 127.0.0.1) for tests: it answers from a fixed
// zone, NXDOMAIN for other names, and keeps every query it received.
import dgram from "node:dgram";
import net from "node:net";
import dnsPacket from "dns-packet";

export type Zone = Record<string, dnsPacket.Answer[]>;

export interface TestDNSServer {
  port: number;
  /** Raw queries received, in order. */
  queries: Buffer[];
  close(): Promise<void>;
}

const CLASSIC_UDP_LIMIT = 512;
const NXDOMAIN = 3;

function answer(zone: Zone, query: Buffer, maxSize: number): Buffer {
  const req = dnsPacket.decode(query);
  const q = req.questions?.[0];
  const records = q ? (zone[q.name.toLowerCase()] ?? []).filter((a) => a.type === q.type) : [];
  const known = q !== undefined && zone[q.name.toLowerCase()] !== undefined;
  const base = { id: req.id, type: "response" as const, questions: req.questions };
  const full = dnsPacket.encode({ ...base, flags: dnsPacket.RECURSION_DESIRED | (known ? 0 : NXDOMAIN), answers: records });
  if (full.length <= maxSize) return full;
  return dnsPacket.encode({ ...base, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.TRUNCATED_RESPONSE });
}

/** UDP replies fit the query's EDNS payload size (512 without EDNS), else come back truncated. */
function udpLimit(query: Buffer): number {
  const opt = dnsPacket.decode(query).additionals?.find((a) => a.type === "OPT");
  return opt && "udpPayloadSize" in opt ? opt.udpPayloadSize : CLASSIC_UDP_LIMIT;
}

/** Retries when the UDP port's TCP twin is taken. */
export async function startTestDNSServer(zone: Zone): Promise<TestDNSServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await tryStart(zone);
    } catch (err) {
      if (attempt >= 5 || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    }
  }
}

async function tryStart(zone: Zone): Promise<TestDNSServer> {
  const queries: Buffer[] = [];
  const udp = dgram.createSocket("udp4");
  udp.on("message", (msg, peer) => {
    queries.push(msg);
    udp.send(answer(zone, msg, udpLimit(msg)), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
  const port = udp.address().port;
  const connections = new Set<net.Socket>();
  const tcp = net.createServer((conn) => {
    connections.add(conn);
    conn.on("close", () => connections.delete(conn));
    conn.on("error", () => undefined);
    let pending = Buffer.alloc(0);
    conn.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const msg = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(2 + msg.length);
        queries.push(msg);
        const reply = answer(zone, msg, 65535);
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(reply.length);
        conn.write(Buffer.concat([prefix, reply]));
      }
    });
  });
  // Same port number for TCP, as a real DNS server.
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(port, "127.0.0.1", () => resolve());
    });
  } catch (err) {
    udp.close();
    throw err;
  }
  return {
    port,
    queries,
    close: async () => {
      for (const conn of connections) conn.destroy();
      await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
    },
  };
}
