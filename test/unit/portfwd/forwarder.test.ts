// The gRPC forwarder against the real guest-agent tunnel code: a grpc-js server with
// guestServiceDefinition() + handleTunnel on a unix socket stands in for the guest agent, and
// "guest" services are real TCP/UDP echo servers on this host's 127.0.0.1.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import type { PortForward } from "../../../src/config/types.js";
import { GUEST_SERVER_OPTIONS, guestServiceClient, guestServiceDefinition, type GuestEvent, type GuestServiceClient, type IPPort, type TunnelMessage } from "../../../src/guestagent/api/index.js";
import { handleTunnel } from "../../../src/guestagent/tunnel.js";
import { eventLine, type PortForwardEvent } from "../../../src/hostagent/events.js";
import { configureLogger } from "../../../src/log/logger.js";
import { PortForwarder, type PortForwarderOptions } from "../../../src/portfwd/index.js";

const EVENT_DEADLINE_MS = 1000;
const unprivileged = { isRoot: false, unprivilegedPortStart: 1024 };

let tmp: string;
let server: grpc.Server;
let client: GuestServiceClient;
const logLines: string[] = [];
/** First-message ids of every Tunnel stream the "guest agent" served. */
const tunnelIds: string[] = [];

before(async () => {
  configureLogger({ write: (line) => void logLines.push(line), level: "debug" });
  tmp = mkdtempSync(path.join(os.tmpdir(), "portfwd-"));
  server = new grpc.Server(GUEST_SERVER_OPTIONS);
  const unimplemented = (_call: unknown, cb?: (err: grpc.ServiceError) => void): void => cb?.({ code: grpc.status.UNIMPLEMENTED } as grpc.ServiceError);
  server.addService(guestServiceDefinition(), {
    GetInfo: unimplemented,
    GetEvents: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
    PostInotify: unimplemented,
    SyncTime: unimplemented,
    Tunnel: (call: grpc.ServerDuplexStream<TunnelMessage, TunnelMessage>) => {
      call.once("data", (first: TunnelMessage) => tunnelIds.push(first.id));
      handleTunnel(call);
    },
  });
  const sock = path.join(tmp, "ga.sock");
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${sock}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  client = guestServiceClient(sock);
});

after(() => {
  client.close();
  server.forceShutdown();
  rmSync(tmp, { recursive: true, force: true });
  configureLogger({ write: (line) => process.stderr.write(line), level: "info" });
});

function tcpEcho(): Promise<{ port: number; close: () => void }> {
  const srv = net.createServer((s) => s.pipe(s));
  return new Promise((resolve) => srv.listen(0, "127.0.0.1", () => resolve({ port: (srv.address() as net.AddressInfo).port, close: () => srv.close() })));
}

function udpEcho(): Promise<{ port: number; close: () => void; received: () => number }> {
  const sock = dgram.createSocket("udp4");
  let received = 0;
  sock.on("message", (msg, rinfo) => {
    received++;
    sock.send(msg, rinfo.port, rinfo.address);
  });
  return new Promise((resolve) =>
    sock.bind(0, "127.0.0.1", () => resolve({ port: sock.address().port, close: () => sock.close(), received: () => received })),
  );
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

interface Harness {
  pf: PortForwarder;
  events: PortForwardEvent[];
  next: (type: PortForwardEvent["type"]) => Promise<PortForwardEvent>;
}

function forwarder(rules: PortForward[], extra: Partial<PortForwarderOptions> = {}): Harness {
  const events: PortForwardEvent[] = [];
  const waiters: { type: string; resolve: (ev: PortForwardEvent) => void }[] = [];
  const instDir = extra.instDir ?? path.join(tmp, "default");
  mkdirSync(instDir, { recursive: true });
  const pf = new PortForwarder({
    instDir,
    instName: path.basename(instDir),
    rules,
    sshLocalPort: 60022,
    sshArgs: [],
    useSSH: false,
    client: () => client,
    privilege: unprivileged,
    ...extra,
    emit: (ev) => {
      events.push(ev);
      extra.emit?.(ev);
      const i = waiters.findIndex((w) => w.type === ev.type);
      if (i >= 0) waiters.splice(i, 1)[0]?.resolve(ev);
    },
  });
  const next = (type: PortForwardEvent["type"]): Promise<PortForwardEvent> => {
    const seen = events.find((ev) => ev.type === type && !(ev as { taken?: boolean }).taken);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} event within ${EVENT_DEADLINE_MS} ms; got ${JSON.stringify(events)}`)), EVENT_DEADLINE_MS);
      waiters.push({ type, resolve: (ev) => (clearTimeout(timer), resolve(ev)) });
    });
  };
  return { pf, events, next };
}

const added = (...ports: IPPort[]): GuestEvent => ({ added_local_ports: ports, removed_local_ports: [], errors: [] });
const removed = (...ports: IPPort[]): GuestEvent => ({ added_local_ports: [], removed_local_ports: ports, errors: [] });
const tcp = (port: number, ip = "127.0.0.1"): IPPort => ({ protocol: "tcp", ip, port });
const udp = (port: number, ip = "127.0.0.1"): IPPort => ({ protocol: "udp", ip, port });
const remap = (guestPort: number, hostPort: number, proto: PortForward["proto"] = "any"): PortForward => ({ guestPort, hostPort, proto });

function connect(options: net.NetConnectOpts): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(options, () => resolve(s));
    s.once("error", reject);
  });
}

/** Sends `data`, half-closes, and collects everything the far side sends back until it ends. */
function roundTrip(socket: net.Socket, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
    socket.end(data);
  });
}

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

describe("gRPC forwarder (real guest-agent tunnel)", () => {
  test("TCP: reachable within 1 s, 1 MiB round-trips both ways with half-close, released within 1 s after removal", async (t) => {
    const echo = await tcpEcho();
    const hostPort = await freePort();
    const { pf, next } = forwarder([remap(echo.port, hostPort)]);
    try {
      const t0 = performance.now();
      pf.handleEvent(added(tcp(echo.port)));
      const ev = await next("forwarding");
      const socket = await connect({ host: "127.0.0.1", port: hostPort });
      const reachableMs = performance.now() - t0;
      assert.deepEqual(ev, { type: "forwarding", protocol: "tcp", guestAddr: `127.0.0.1:${echo.port}`, hostAddr: `127.0.0.1:${hostPort}` });
      assert.ok(reachableMs < 1000, `reachable after ${reachableMs} ms`);

      const payload = randomBytes(1 << 20);
      const t1 = performance.now();
      const back = await roundTrip(socket, payload);
      const seconds = (performance.now() - t1) / 1000;
      assert.equal(back.length, payload.length);
      assert.equal(sha(back), sha(payload));
      t.diagnostic(`reachable ${reachableMs.toFixed(1)} ms after the event; 1 MiB echoed in ${(seconds * 1000).toFixed(0)} ms (${((2 * payload.length) / seconds / 1e6).toFixed(1)} MB/s both ways)`);

      const t2 = performance.now();
      pf.handleEvent(removed(tcp(echo.port)));
      assert.equal((await next("stopping")).hostAddr, `127.0.0.1:${hostPort}`);
      await waitUntil(() => canBind(hostPort), 1000);
      t.diagnostic(`host port released ${(performance.now() - t2).toFixed(1)} ms after the removed event`);
    } finally {
      await pf.close();
      echo.close();
    }
  });

  test("TCP: small-message latency and bulk throughput through the tunnel", async (t) => {
    const echo = await tcpEcho();
    const hostPort = await freePort();
    const { pf, next } = forwarder([remap(echo.port, hostPort)]);
    try {
      pf.handleEvent(added(tcp(echo.port)));
      await next("forwarding");
      const socket = await connect({ host: "127.0.0.1", port: hostPort });
      socket.setNoDelay(true);
      const rounds = 200;
      const t0 = performance.now();
      for (let i = 0; i < rounds; i++) {
        await new Promise<void>((resolve) => {
          socket.once("data", () => resolve());
          socket.write("ping");
        });
      }
      const rttMs = (performance.now() - t0) / rounds;
      socket.destroy();
      const bulk = await connect({ host: "127.0.0.1", port: hostPort });
      const size = 16 << 20;
      const t1 = performance.now();
      const back = await roundTrip(bulk, Buffer.alloc(size, 7));
      const seconds = (performance.now() - t1) / 1000;
      assert.equal(back.length, size);
      t.diagnostic(`RTT ${rttMs.toFixed(3)} ms (avg of ${rounds}); 16 MiB echo: ${(size / seconds / 1e6).toFixed(1)} MB/s each way`);
    } finally {
      await pf.close();
      echo.close();
    }
  });

  test("UDP: echo works and a burst of 10,000 datagrams arrives complete", async (t) => {
    const echo = await udpEcho();
    const hostPort = await freePort();
    const { pf, next } = forwarder([remap(echo.port, hostPort, "udp")]);
    const sock = dgram.createSocket("udp4");
    try {
      pf.handleEvent(added(udp(echo.port)));
      const ev = await next("forwarding");
      assert.equal(ev.protocol, "udp");
      await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", resolve));
      const received = new Set<number>();
      let firstEcho: (() => void) | undefined;
      sock.on("message", (msg) => {
        received.add(msg.readUInt32BE(0));
        firstEcho?.();
      });
      await new Promise<void>((resolve) => {
        firstEcho = resolve;
        sock.send(Buffer.from([0xff, 0xff, 0xff, 0xff]), hostPort, "127.0.0.1");
      });
      firstEcho = undefined;
      received.clear();

      const total = 10_000;
      const batch = 100;
      const t0 = performance.now();
      for (let i = 0; i < total; i += batch) {
        for (let j = i; j < i + batch; j++) {
          const msg = Buffer.alloc(64);
          msg.writeUInt32BE(j, 0);
          sock.send(msg, hostPort, "127.0.0.1");
        }
        await sleep(5); // ~20,000 datagrams/s
      }
      await waitUntil(() => received.size === total, 5000).catch(() => undefined);
      const seconds = (performance.now() - t0) / 1000;
      t.diagnostic(`UDP burst: ${received.size}/${total} echoed back (${(((total - received.size) / total) * 100).toFixed(2)}% loss; the guest side saw ${echo.received() - 1}) in ${seconds.toFixed(2)} s`);
      assert.equal(received.size, total);
    } finally {
      sock.close();
      await pf.close();
      echo.close();
    }
  });

  test("UDP: one stream per client, idle client streams are closed", async () => {
    const echo = await udpEcho();
    const hostPort = await freePort();
    const { pf, next } = forwarder([remap(echo.port, hostPort, "udp")], { udpIdleMs: 200 });
    const clients = [dgram.createSocket("udp4"), dgram.createSocket("udp4")];
    try {
      pf.handleEvent(added(udp(echo.port)));
      await next("forwarding");
      const replies = await Promise.all(
        clients.map(
          (c, i) =>
            new Promise<string>((resolve) => {
              c.on("message", (m) => resolve(m.toString()));
              c.bind(0, "127.0.0.1", () => c.send(`client-${i}`, hostPort, "127.0.0.1"));
            }),
        ),
      );
      assert.deepEqual(replies, ["client-0", "client-1"], "each client gets its own replies");
      const prefix = `udp-127.0.0.1:${echo.port}-`;
      assert.deepEqual(tunnelIds.filter((id) => id.startsWith(prefix)).sort(), [`${prefix}1`, `${prefix}2`]);
      const again = async (): Promise<string> => {
        const reply = new Promise<string>((resolve) => clients[0]?.once("message", (m) => resolve(m.toString())));
        clients[0]?.send("again", hostPort, "127.0.0.1");
        return reply;
      };
      assert.equal(await again(), "again");
      assert.equal(tunnelIds.filter((id) => id.startsWith(prefix)).length, 2, "a known client reuses its stream");
      await sleep(400);
      assert.equal(await again(), "again");
      assert.ok(tunnelIds.includes(`${prefix}3`), "after the idle timeout the client gets a new stream");
    } finally {
      for (const c of clients) c.close();
      await pf.close();
      echo.close();
    }
  });

  test("a hostSocket address: stale socket replaced, parent created, connections proxied", async () => {
    const echo = await tcpEcho();
    const hostSocket = path.join(tmp, "sockdir", "nested", "echo.sock");
    mkdirSync(path.dirname(hostSocket), { recursive: true });
    const stale = net.createServer().listen(hostSocket);
    await new Promise((resolve) => stale.once("listening", resolve));
    // Leave the socket file behind the way a crashed process does.
    (stale as unknown as { _handle: { close: () => void } | null })._handle?.close();
    const { pf, next } = forwarder([{ guestPort: echo.port, hostSocket }]);
    try {
      pf.handleEvent(added(tcp(echo.port)));
      assert.equal((await next("forwarding")).hostAddr, hostSocket);
      const back = await roundTrip(await connect({ path: hostSocket }), Buffer.from("via unix socket"));
      assert.equal(back.toString(), "via unix socket");
    } finally {
      await pf.close();
      echo.close();
    }
  });

  test("ignored ports: not-forwarding event unless ignoreTCP; nothing listens", async () => {
    const port = await freePort();
    const a = forwarder([{ guestPort: port, ignore: true }]);
    a.pf.handleEvent(added(tcp(port)));
    assert.deepEqual(await a.next("not-forwarding"), { type: "not-forwarding", protocol: "tcp", guestAddr: `127.0.0.1:${port}` });
    assert.ok(await canBind(port));
    const b = forwarder([{ ignore: true, proto: "tcp" }]);
    b.pf.handleEvent(added(tcp(port)));
    await sleep(100);
    assert.deepEqual(b.events, [], "ignoreTCP: silent");
    assert.ok(await canBind(port));
    await a.pf.close();
    await b.pf.close();
  });

  test("two guest listeners mapped to one host port share it; it stays until both are gone", async () => {
    const echo = await tcpEcho();
    const hostPort = await freePort();
    const { pf, events, next } = forwarder([{ guestPortRange: [echo.port, echo.port], hostPortRange: [hostPort, hostPort] }]);
    try {
      // As a guest server listening on 0.0.0.0 and :: reports itself (here 127.0.0.1 keeps the test off IPv6).
      pf.handleEvent(added(tcp(echo.port, "0.0.0.0"), tcp(echo.port, "127.0.0.1")));
      await next("forwarding");
      await waitUntil(() => events.filter((e) => e.type === "forwarding").length === 2, 1000);
      assert.ok(!logLines.some((l) => l.includes("failed to listen")), "no self-conflict");
      pf.handleEvent(removed(tcp(echo.port, "0.0.0.0")));
      const back = await roundTrip(await connect({ host: "127.0.0.1", port: hostPort }), Buffer.from("still here"));
      assert.equal(back.toString(), "still here");
      pf.handleEvent(removed(tcp(echo.port, "127.0.0.1")));
      await waitUntil(() => canBind(hostPort), 1000);
    } finally {
      await pf.close();
      echo.close();
    }
  });

  test("privileged host port without root: refused with the rule and the fix named", async () => {
    const echo = await tcpEcho();
    const { pf, next } = forwarder([remap(echo.port, 80)]);
    try {
      pf.handleEvent(added(tcp(echo.port)));
      const ev = await next("not-forwarding");
      assert.equal(ev.hostAddr, "127.0.0.1:80");
      assert.match(ev.error ?? "", /portForwards\[0\]/);
      assert.match(ev.error ?? "", /hostPort >= 1024/);
    } finally {
      await pf.close();
      echo.close();
    }
  });

  test("two instances, one host port: the second reports the first by name", async () => {
    const echo = await tcpEcho();
    const hostPort = await freePort();
    const limaHome = path.join(tmp, "lima-home");
    const dirA = path.join(limaHome, "alpha");
    const dirB = path.join(limaHome, "beta");
    mkdirSync(dirA, { recursive: true });
    mkdirSync(dirB, { recursive: true });
    // Instance "alpha" is a live host agent writing its events where Lima does.
    writeFileSync(path.join(dirA, "ha.pid"), `${process.pid}\n`);
    const logA = path.join(dirA, "ha.stdout.log");
    writeFileSync(logA, eventLine({ sshLocalPort: 60022 }));
    const a = forwarder([remap(echo.port, hostPort)], { instDir: dirA, limaHome, emit: (ev) => appendFileSync(logA, eventLine({ running: true, portForward: ev })) });
    const b = forwarder([remap(echo.port, hostPort)], { instDir: dirB, limaHome });
    try {
      a.pf.handleEvent(added(tcp(echo.port)));
      await a.next("forwarding");
      b.pf.handleEvent(added(tcp(echo.port)));
      const ev = await b.next("not-forwarding");
      assert.equal(ev.hostAddr, `127.0.0.1:${hostPort}`);
      assert.match(ev.error ?? "", /already forwarded by instance "alpha"/);
      assert.ok(logLines.some((l) => l.includes(`failed to listen tcp: 127.0.0.1:${hostPort}`) && l.includes('\\"alpha\\"')), "warning names the other instance");
      // The first instance keeps working.
      assert.equal((await roundTrip(await connect({ host: "127.0.0.1", port: hostPort }), Buffer.from("a"))).toString(), "a");
    } finally {
      await a.pf.close();
      await b.pf.close();
      echo.close();
    }
  });

  test("a port held by something else on the host: warning and event say so", async () => {
    const echo = await tcpEcho();
    const blocker = net.createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => blocker.once("listening", resolve));
    const hostPort = (blocker.address() as net.AddressInfo).port;
    const { pf, next } = forwarder([remap(echo.port, hostPort)]);
    try {
      pf.handleEvent(added(tcp(echo.port)));
      assert.match((await next("not-forwarding")).error ?? "", /already in use by another program/);
    } finally {
      await pf.close();
      blocker.close();
      echo.close();
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}
