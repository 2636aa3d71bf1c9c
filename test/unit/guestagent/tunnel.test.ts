// The guest end of Tunnel, served in-process and called through @grpc/grpc-js as the host does.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { status, type ServiceError } from "@grpc/grpc-js";
import { guestServiceClient, type GuestServiceClient, type TunnelMessage } from "../../../src/guestagent/api/index.js";
import { serveGuestAgent, type GuestAgentServer } from "../../../src/guestagent/server.js";

const msg = (fields: Partial<TunnelMessage>): TunnelMessage => ({ id: "t-1", protocol: "", data: Buffer.alloc(0), guest_addr: "", udp_target_addr: "", ...fields });

/** Everything the stream delivers until it ends, and how it ended. */
function collect(stream: ReturnType<GuestServiceClient["Tunnel"]>): Promise<{ data: Buffer; error?: ServiceError }> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    stream.on("data", (m: TunnelMessage) => chunks.push(m.data));
    stream.on("error", (error: ServiceError) => resolve({ data: Buffer.concat(chunks), error }));
    stream.on("end", () => resolve({ data: Buffer.concat(chunks) }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe("Tunnel", () => {
  let dir: string;
  let agent: GuestAgentServer;
  let client: GuestServiceClient;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "ga-tunnel-"));
    const socketPath = path.join(dir, "ga.sock");
    agent = await serveGuestAgent({ socketPath, runtimeDir: dir, tickMs: 100, socketOwner: 0, kubernetes: false });
    client = guestServiceClient(socketPath);
  });
  after(async () => {
    client.close();
    await agent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("TCP: copies both ways and ends when the guest side closes", async () => {
    const echo = net.createServer((s) => s.pipe(s)).listen(0, "127.0.0.1");
    await new Promise((r) => echo.once("listening", r));
    const { port } = echo.address() as net.AddressInfo;
    const stream = client.Tunnel();
    const done = collect(stream);
    stream.write(msg({ protocol: "tcp", guest_addr: `0.0.0.0:${port}`, data: Buffer.from("hello ") }));
    stream.write(msg({ protocol: "tcp", guest_addr: `0.0.0.0:${port}`, data: Buffer.from("world") }));
    stream.end();
    const { data, error } = await done;
    assert.equal(error, undefined);
    assert.equal(data.toString(), "hello world");
    echo.close();
  });

  it("TCP: a refused dial ends the stream with Go's dial error", async () => {
    const port = await freePort();
    const stream = client.Tunnel();
    const done = collect(stream);
    stream.write(msg({ protocol: "tcp", guest_addr: `127.0.0.1:${port}` }));
    const { error } = await done;
    assert.equal(error?.code, status.UNKNOWN);
    assert.equal(error?.details, `dial tcp 127.0.0.1:${port}: connect: connection refused`);
  });

  it("a malformed guest address or protocol is an INVALID_ARGUMENT status, not a hung stream", async () => {
    for (const first of [msg({ protocol: "tcp", guest_addr: "nonsense" }), msg({ protocol: "sctp", guest_addr: "127.0.0.1:1" })]) {
      const stream = client.Tunnel();
      const done = collect(stream);
      stream.write(first);
      const { error } = await done;
      assert.equal(error?.code, status.INVALID_ARGUMENT);
    }
  });

  it("UDP: one datagram per message, both ways", async () => {
    const server = dgram.createSocket("udp4");
    server.on("message", (m, rinfo) => server.send(Buffer.concat([Buffer.from("re:"), m]), rinfo.port, rinfo.address));
    await new Promise<void>((r) => server.bind(0, "127.0.0.1", r));
    const stream = client.Tunnel();
    const got: string[] = [];
    stream.on("data", (m: TunnelMessage) => got.push(m.data.toString()));
    const addr = `127.0.0.1:${server.address().port}`;
    stream.write(msg({ protocol: "udp", guest_addr: addr, data: Buffer.from("a") }));
    stream.write(msg({ protocol: "udp", guest_addr: addr, data: Buffer.from("b") }));
    await waitFor(() => got.length === 2);
    assert.deepEqual(got.sort(), ["re:a", "re:b"]);
    stream.end();
    await new Promise((r) => stream.on("end", r).on("error", r));
    server.close();
  });

  it("UDP: a closed guest port ends the stream with an error, and later messages do not crash the agent", async () => {
    const port = await freePort();
    const stream = client.Tunnel();
    const done = collect(stream);
    const addr = `127.0.0.1:${port}`;
    stream.write(msg({ protocol: "udp", guest_addr: addr, data: Buffer.from("x") }));
    // The ICMP "port unreachable" closes the guest socket; keep sending after that.
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 10));
      if (!stream.writable) break;
      stream.write(msg({ protocol: "udp", guest_addr: addr, data: Buffer.from("y") }));
    }
    const { error } = await done;
    assert.equal(error?.code, status.UNKNOWN);
    assert.match(error?.details ?? "", /ECONNREFUSED|connection refused/);
    // The agent still answers.
    await new Promise<void>((resolve, reject) => client.GetInfo({}, {}, (err) => (err ? reject(err) : resolve())));
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
