import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { IPPort } from "../../../src/guestagent/api/index.js";
import { dedupePorts, diffPorts, LocalPorts, mergeExtraPorts } from "../../../src/guestagent/ports.js";

const tcp = (ip: string, port: number): IPPort => ({ protocol: "tcp", ip, port });
const udp = (ip: string, port: number): IPPort => ({ protocol: "udp", ip, port });

describe("port lists", () => {
  it("diff reports added and removed by protocol, ip and port", () => {
    const { added, removed } = diffPorts([tcp("0.0.0.0", 22), udp("0.0.0.0", 53), tcp("::", 80)], [tcp("0.0.0.0", 22), tcp("0.0.0.0", 53), tcp("::", 8080)]);
    assert.deepEqual(added, [tcp("0.0.0.0", 53), tcp("::", 8080)]);
    assert.deepEqual(removed, [udp("0.0.0.0", 53), tcp("::", 80)]);
  });

  it("dedupe keeps one of each (SO_REUSEPORT listeners)", () => {
    assert.deepEqual(dedupePorts([tcp("0.0.0.0", 80), tcp("0.0.0.0", 80), udp("0.0.0.0", 80)]), [tcp("0.0.0.0", 80), udp("0.0.0.0", 80)]);
  });

  it("extra (Kubernetes) ports are added only when no socket has that port number", () => {
    assert.deepEqual(mergeExtraPorts([tcp("127.0.0.1", 30080)], [tcp("0.0.0.0", 30080), udp("0.0.0.0", 30053)]), [tcp("127.0.0.1", 30080), udp("0.0.0.0", 30053)]);
  });
});

describe("LocalPorts", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ga-procnet-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(import.meta.dirname, "fixtures", "procnet"), dir, { recursive: true });

  it("reads all four tables and bumps the version only when the set of ports changes", () => {
    const extra = { generation: 0, list: [] as IPPort[], ports(): IPPort[] { return this.list; } };
    const ports = new LocalPorts(dir, extra);
    const first = ports.read();
    assert.equal(first.ports.length, 11);
    assert.ok(first.ports.some((p) => p.protocol === "udp" && p.ip === "::1" && p.port === 41014));
    assert.equal(ports.read().version, first.version, "same text, same version");

    // Same listeners, other queue counters: text changed, ports did not.
    const tcpText = path.join(dir, "tcp");
    writeFileSync(tcpText, readFileSync(tcpText, "latin1").replace("0A 00000000:00000000", "0A 00000001:00000000"));
    assert.equal(ports.read().version, first.version);

    writeFileSync(tcpText, "  sl  local_address\n");
    const removed = ports.read();
    assert.equal(removed.version, first.version + 1);
    assert.equal(removed.ports.filter((p) => p.protocol === "tcp").length, 4);

    extra.list = [tcp("0.0.0.0", 30000)];
    extra.generation++;
    assert.ok(ports.read().ports.some((p) => p.port === 30000));
    ports.close();
  });

  it("treats a missing table (IPv6 disabled) as empty", () => {
    const empty = mkdtempSync(path.join(tmpdir(), "ga-procnet-"));
    writeFileSync(path.join(empty, "tcp"), "  sl\n   0: 00000000:0016 00000000:0000 0A 0\n");
    const ports = new LocalPorts(empty);
    assert.deepEqual(ports.read().ports, [tcp("0.0.0.0", 22)]);
    ports.close();
    rmSync(empty, { recursive: true });
  });
});
