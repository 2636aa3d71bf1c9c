// The host resolver over real UDP and TCP sockets, queried by `dig` (an independent client) and by
// hand-made dns-packet queries. Upstream DNS is a local test server, so nothing needs the internet.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import dgram from "node:dgram";
import { readFileSync } from "node:fs";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import dnsPacket from "dns-packet";
import { systemResolver } from "../../../src/hostresolver/handler.js";
import { type HostResolver, startHostResolver } from "../../../src/hostresolver/index.js";
import { startTestDNSServer, type TestDNSServer } from "../../helpers/dnsserver.js";

const run = promisify(execFile);
const FORWARD_TIMEOUT_MS = 500;
const BIG_TXT = "t".repeat(1000);
/** PTR records of many.example: more than 512 bytes, less than the 1232 bytes dig offers via EDNS. */
const MANY = 15;

interface DigResult {
  status: string;
  flags: string[];
  /** Answer lines split into fields: name, ttl, class, type, data... */
  answers: string[][];
  size: number;
}

async function dig(port: number, ...args: string[]): Promise<DigResult> {
  const { stdout } = await run("dig", ["@127.0.0.1", "-p", String(port), "+time=5", "+tries=1", ...args]);
  const section = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(stdout)?.[1] ?? "";
  return {
    status: /status: (\w+)/.exec(stdout)?.[1] ?? `no status in:\n${stdout}`,
    flags: (/;; flags: ([^;]*);/.exec(stdout)?.[1] ?? "").trim().split(" "),
    answers: section === "" ? [] : section.split("\n").map((line) => line.split(/\s+/)),
    size: Number(/MSG SIZE {2}rcvd: (\d+)/.exec(stdout)?.[1]),
  };
}

function udpQuery(port: number, query: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket("udp4");
    socket.on("error", reject);
    socket.on("message", (msg) => {
      socket.close();
      resolve(msg);
    });
    socket.send(query, port, "127.0.0.1");
  });
}

const frame = (msg: Buffer): Buffer => Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 255]), msg]);

/** Sends all queries in one write on one connection; resolves with that many replies. */
function tcpQueries(port: number, queries: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let pending = Buffer.alloc(0);
    const replies: Buffer[] = [];
    socket.on("error", reject);
    socket.on("connect", () => socket.write(Buffer.concat(queries.map(frame))));
    socket.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        replies.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
      if (replies.length === queries.length) {
        socket.end();
        resolve(replies);
      }
    });
  });
}

const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP"];
/** A reply's rcode name (the dns-packet types leave it out). */
const rcode = (reply: Buffer): string => RCODES[reply.readUInt16BE(2) & 0xf] ?? "other";

const query = (id: number, name: string, type: dnsPacket.RecordType = "A"): Buffer =>
  dnsPacket.encode({ id, type: "query", flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] });

/** A name /etc/hosts maps to an IPv4 address, other than localhost, and that address (first line wins). */
function etcHostsEntry(): { name: string; ip: string } | undefined {
  for (const line of readFileSync("/etc/hosts", "utf8").split("\n")) {
    const [ip, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    const name = names.find((n) => n !== "localhost" && !n.startsWith("localhost."));
    if (ip && net.isIPv4(ip) && name) return { name, ip };
  }
  return undefined;
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe("host resolver DNS server", () => {
  let upstream: TestDNSServer;
  let resolver: HostResolver;
  let v6resolver: HostResolver;
  let deadEnd: HostResolver;

  before(async () => {
    upstream = await startTestDNSServer({
      "big.example": [{ type: "TXT", name: "big.example", ttl: 60, data: [BIG_TXT.slice(0, 250), BIG_TXT.slice(250, 500), BIG_TXT.slice(500, 750), BIG_TXT.slice(750)] }],
      "mail.example": [{ type: "MX", name: "mail.example", ttl: 60, data: { preference: 10, exchange: "mx1.mail.example" } }],
      "many.example": Array.from({ length: MANY }, (_, i) => ({ type: "PTR" as const, name: "many.example", ttl: 60, data: `host-${i}.many.example` })),
    });
    const upstreams = [{ address: "127.0.0.1", port: upstream.port }];
    const common = {
      staticHosts: { "myhost.example": "10.1.2.3", "alias.example": "MyHost.Example", "alias2.example": "ALIAS.example", "v6.example": "fd00::7", "loop-a.example": "loop-b.example", "loop-b.example": "loop-a.example" },
      upstreams,
      forwardTimeoutMs: FORWARD_TIMEOUT_MS,
      // CNAME/TXT/NS/MX/SRV ask the test server instead of the host's DNS servers.
      resolver: systemResolver([`127.0.0.1:${upstream.port}`]),
    };
    resolver = await startHostResolver({ ...common, ipv6: false });
    v6resolver = await startHostResolver({ ...common, ipv6: true });
    deadEnd = await startHostResolver({ ...common, ipv6: false, upstreams: [{ address: "127.0.0.1", port: await closedPort() }] });
  });
  after(async () => {
    await Promise.all([resolver.close(), v6resolver.close(), deadEnd.close(), upstream.close()]);
  });

  it("answers static hosts with TTL 5, over UDP and TCP", async () => {
    const udp = await dig(resolver.udpPort, "myhost.example");
    assert.equal(udp.status, "NOERROR");
    assert.deepEqual(udp.answers, [["myhost.example.", "5", "IN", "A", "10.1.2.3"]]);
    const tcp = await dig(resolver.tcpPort, "+tcp", "MYHOST.example");
    assert.deepEqual(tcp.answers, [["MYHOST.example.", "5", "IN", "A", "10.1.2.3"]]);
  });

  it("answers aliases through the whole chain, case-insensitively, as A records of the asked name", async () => {
    const res = await dig(resolver.udpPort, "Alias2.Example");
    assert.deepEqual(res.answers, [["Alias2.Example.", "5", "IN", "A", "10.1.2.3"]]);
    const cname = await dig(resolver.udpPort, "alias.example", "CNAME");
    assert.deepEqual(cname.answers, [["alias.example.", "5", "IN", "CNAME", "myhost.example."]]);
  });

  it("survives alias cycles: the name goes to the upstream servers", async () => {
    const res = await dig(resolver.udpPort, "loop-a.example");
    assert.equal(res.status, "NXDOMAIN");
  });

  it("resolves localhost and /etc/hosts names through the host's resolver", async () => {
    const local = await dig(resolver.udpPort, "localhost");
    assert.deepEqual(local.answers, [["localhost.", "5", "IN", "A", "127.0.0.1"]]);
    const entry = etcHostsEntry();
    assert.ok(entry, "/etc/hosts has an IPv4 entry besides localhost");
    const res = await dig(resolver.udpPort, entry.name);
    assert.ok(res.answers.some((a) => a[4] === entry.ip), `${entry.name} → ${entry.ip}: ${JSON.stringify(res.answers)}`);
  });

  it("answers AAAA with an empty NOERROR when ipv6 is off, with addresses when on", async () => {
    const off = await dig(resolver.udpPort, "v6.example", "AAAA");
    assert.equal(off.status, "NOERROR");
    assert.deepEqual(off.answers, []);
    const on = await dig(v6resolver.udpPort, "v6.example", "AAAA");
    assert.deepEqual(on.answers, [["v6.example.", "5", "IN", "AAAA", "fd00::7"]]);
  });

  it("answers MX and TXT from the host's resolver, TXT in 255-byte strings", async () => {
    const mx = await dig(resolver.udpPort, "mail.example", "MX");
    assert.deepEqual(mx.answers, [["mail.example.", "5", "IN", "MX", "10", "mx1.mail.example."]]);
    const [reply] = await tcpQueries(resolver.tcpPort, [query(3, "big.example", "TXT")]);
    const answers = dnsPacket.decode(reply ?? Buffer.alloc(0)).answers ?? [];
    assert.equal(answers.length, 1);
    const data = answers[0]?.type === "TXT" ? (answers[0].data as Buffer[]) : [];
    assert.deepEqual(data.map((chunk) => chunk.length), [255, 255, 255, 235]);
    assert.equal(Buffer.concat(data).toString(), BIG_TXT);
  });

  it("truncates UDP replies to 512 bytes with TC set; TCP gets everything", async () => {
    const txt = await dig(resolver.udpPort, "+ignore", "big.example", "TXT");
    assert.ok(txt.flags.includes("tc"), txt.flags.join(" "));
    assert.ok(txt.size <= 512, `${txt.size} bytes`);
    // Forwarded replies too (PTR is not answered locally).
    const udp = await dig(resolver.udpPort, "+ignore", "many.example", "PTR");
    assert.ok(udp.flags.includes("tc") && udp.size <= 512, `${udp.flags.join(" ")}, ${udp.size} bytes`);
    assert.ok(udp.answers.length > 0 && udp.answers.length < MANY);
    const tcp = await dig(resolver.tcpPort, "+tcp", "many.example", "PTR");
    assert.equal(tcp.answers.length, MANY);
    assert.ok(!tcp.flags.includes("tc"));
  });

  it("forwards what it cannot answer verbatim and passes NXDOMAIN back", async () => {
    const before = upstream.queries.length;
    const q = query(4242, "nonexistent.example", "MX");
    const raw = await udpQuery(resolver.udpPort, q);
    assert.equal(dnsPacket.decode(raw).id, 4242);
    assert.equal(rcode(raw), "NXDOMAIN");
    // The test server also got the MX lookup of the host's resolver; the last query is the forwarded one.
    assert.ok(upstream.queries.length > before);
    assert.deepEqual(upstream.queries.at(-1), q);
    assert.equal((await dig(resolver.udpPort, "nonexistent.example")).status, "NXDOMAIN");
  });

  it("answers an empty NOERROR reply when every upstream server fails", async () => {
    const started = Date.now();
    const raw = await udpQuery(deadEnd.udpPort, query(77, "nothing.example", "PTR"));
    const reply = dnsPacket.decode(raw);
    assert.equal(reply.id, 77);
    assert.equal(rcode(raw), "NOERROR");
    assert.deepEqual(reply.questions, [{ type: "PTR", name: "nothing.example", class: "IN" }]);
    assert.deepEqual(reply.answers, []);
    assert.ok(Date.now() - started < 4 * FORWARD_TIMEOUT_MS);
  });

  it("serves several length-prefixed queries on one TCP connection, in order", async () => {
    const replies = await tcpQueries(resolver.tcpPort, [query(1, "myhost.example"), query(2, "localhost"), query(3, "v6.example", "AAAA")]);
    const decoded = replies.map((r) => dnsPacket.decode(r));
    assert.deepEqual(decoded.map((d) => d.id), [1, 2, 3]);
    assert.deepEqual(decoded.map((d) => (d.answers ?? []).map((a) => ("data" in a ? a.data : undefined))), [["10.1.2.3"], ["127.0.0.1"], []]);
  });

  it("answers FORMERR to a query with two questions and NOTIMP to an UPDATE", async () => {
    const two = dnsPacket.encode({ id: 5, type: "query", questions: [{ type: "A", name: "a.example" }, { type: "A", name: "b.example" }] });
    assert.equal(rcode(await udpQuery(resolver.udpPort, two)), "FORMERR");
    const update = query(6, "a.example");
    update.writeUInt16BE(0x2800, 2);
    assert.equal(rcode(await udpQuery(resolver.udpPort, update)), "NOTIMP");
  });
});
