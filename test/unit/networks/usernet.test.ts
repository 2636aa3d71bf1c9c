import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { subnetOf } from "../../../src/networks/ipv4.js";
import { assignLease, parseHosts, updateHosts } from "../../../src/networks/usernet/leases.js";
import { EthernetSwitch, encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from "../../../src/networks/usernet/switch.js";

const subnet = subnetOf("192.168.104.1", "255.255.255.0");
const RESERVED = ["192.168.104.1", "192.168.104.2"];

describe("user-v2 leases", () => {
  it("gives a new MAC the lowest free guest address and keeps it", () => {
    const first = assignLease({}, "52:55:55:AA:00:01", subnet, RESERVED);
    assert.equal(first.ip, "192.168.104.3");
    assert.deepEqual(first.leases, { "192.168.104.3": "52:55:55:aa:00:01" });
    const second = assignLease(first.leases, "52:55:55:aa:00:02", subnet, RESERVED);
    assert.equal(second.ip, "192.168.104.4");
    assert.equal(assignLease(second.leases, "52:55:55:aa:00:01", subnet, RESERVED).ip, "192.168.104.3");
  });

  it("skips reserved and taken addresses, ignores leases from another subnet, and says when it is full", () => {
    assert.equal(assignLease({ "10.0.0.3": "m" }, "m", subnet, [...RESERVED, "192.168.104.3"]).ip, "192.168.104.4");
    const tiny = subnetOf("10.0.0.1", "255.255.255.252");
    assert.throws(() => assignLease({}, "m", tiny, ["10.0.0.1"]), /no free address left in 10\.0\.0\.0\/30/);
  });

  it("keeps one hosts line per name and per address", () => {
    let hosts = updateHosts("", "192.168.104.3", "lima-a.internal");
    hosts = updateHosts(hosts, "192.168.104.4", "lima-b.internal");
    hosts = updateHosts(hosts, "192.168.104.5", "lima-a.internal");
    assert.equal(hosts, "192.168.104.4 lima-b.internal\n192.168.104.5 lima-a.internal\n");
    assert.deepEqual(parseHosts(hosts), { "lima-b.internal": "192.168.104.4", "lima-a.internal": "192.168.104.5" });
  });
});

function frame(dst: string, src: string, payload = "x"): Buffer {
  const mac = (s: string): Buffer => Buffer.from(s.split(":").map((h) => Number.parseInt(h, 16)));
  return Buffer.concat([mac(dst), mac(src), Buffer.from([0x08, 0x00]), Buffer.from(payload)]);
}

const A = "52:55:55:00:00:0a";
const B = "52:55:55:00:00:0b";
const C = "52:55:55:00:00:0c";
const BROADCAST = "ff:ff:ff:ff:ff:ff";

describe("the user-v2 switch", () => {
  it("floods broadcasts and unknown destinations to the other ports, then sends unicast only where the MAC lives", () => {
    const sw = new EthernetSwitch<string>();
    for (const p of ["p1", "p2", "p3"]) sw.addPort(p);
    assert.deepEqual(sw.destinations("p1", frame(BROADCAST, A)), ["p2", "p3"]);
    assert.deepEqual(sw.destinations("p2", frame(C, B)), ["p1", "p3"], "C unknown yet: flooded");
    assert.deepEqual(sw.destinations("p3", frame(A, C)), ["p1"], "A was seen on p1");
    assert.deepEqual(sw.destinations("p1", frame(B, A)), ["p2"], "B was seen on p2");
  });

  it("learns where each MAC is, forgets a removed port, and drops runts and frames back to their port", () => {
    const sw = new EthernetSwitch<string>();
    for (const p of ["p1", "p2", "p3"]) sw.addPort(p);
    sw.destinations("p1", frame(BROADCAST, A));
    sw.destinations("p2", frame(BROADCAST, B));
    assert.deepEqual(sw.destinations("p2", frame(A, B)), ["p1"]);
    assert.deepEqual(sw.destinations("p1", frame(B, A)), ["p2"]);
    assert.deepEqual(sw.destinations("p1", frame(A, A)), []);
    assert.deepEqual(sw.destinations("p1", Buffer.alloc(5)), []);
    sw.removePort("p2");
    assert.deepEqual(sw.destinations("p1", frame(B, A)), ["p3"], "B forgotten: flooded to who is left");
  });

  it("decodes QEMU's length-prefixed stream across chunk boundaries", () => {
    const f1 = frame(A, B, "first");
    const f2 = frame(B, A, "second");
    const wire = Buffer.concat([encodeFrame(f1), encodeFrame(f2)]);
    const decoder = new FrameDecoder();
    const out = [...decoder.push(wire.subarray(0, 3)), ...decoder.push(wire.subarray(3, 25)), ...decoder.push(wire.subarray(25))];
    assert.deepEqual(out, [f1, f2]);
    assert.equal(encodeFrame(f1).readUInt32BE(0), f1.length);
  });

  it("refuses a length no NIC sends", () => {
    const bad = Buffer.alloc(4);
    bad.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    assert.throws(() => new FrameDecoder().push(bad), /exceeds/);
  });
});
