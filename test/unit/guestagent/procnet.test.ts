// /proc/net parsing against tables captured from a real kernel (listeners on 0.0.0.0, 127.0.0.1,
// ::, ::1, ::ffff:127.0.0.1, a dual-stack ::, UDP sockets and connected sockets that must not count).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { goIPString, parseHexAddress, parseProcNet } from "../../../src/guestagent/procnet.js";

const FIXTURES = path.join(import.meta.dirname, "fixtures", "procnet");
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), "latin1");

describe("parseProcNet", () => {
  it("reports TCP listeners (state 0A) and skips established and TIME_WAIT sockets", () => {
    assert.deepEqual(parseProcNet(fixture("tcp"), "tcp"), [
      { protocol: "tcp", ip: "127.0.0.1", port: 41002 },
      { protocol: "tcp", ip: "0.0.0.0", port: 41001 },
      { protocol: "tcp", ip: "0.0.0.0", port: 2024 },
    ]);
  });

  it("prints tcp6 addresses as Go does, IPv4-mapped ones as dotted quads", () => {
    assert.deepEqual(parseProcNet(fixture("tcp6"), "tcp"), [
      { protocol: "tcp", ip: "127.0.0.1", port: 41005 },
      { protocol: "tcp", ip: "::", port: 41003 },
      { protocol: "tcp", ip: "::", port: 41006 },
      { protocol: "tcp", ip: "::1", port: 41004 },
    ]);
  });

  it("reports unconnected UDP sockets (state 07) and skips connected ones", () => {
    assert.deepEqual(parseProcNet(fixture("udp"), "udp"), [
      { protocol: "udp", ip: "0.0.0.0", port: 41011 },
      { protocol: "udp", ip: "127.0.0.1", port: 41013 },
    ]);
    assert.deepEqual(parseProcNet(fixture("udp6"), "udp"), [
      { protocol: "udp", ip: "::", port: 41012 },
      { protocol: "udp", ip: "::1", port: 41014 },
    ]);
  });

  it("ignores the header, blank and malformed lines", () => {
    assert.deepEqual(parseProcNet("  sl  local_address\n\n   0: XYZ:0016 00000000:0000 0A\n", "tcp"), []);
  });
});

describe("goIPString", () => {
  const v6 = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, "hex"));
  for (const [hex, want] of [
    ["00000000000000000000000000000000", "::"],
    ["00000000000000000000000000000001", "::1"],
    ["fe800000000000000000000000000001", "fe80::1"],
    ["20010db8000000000001000000000001", "2001:db8::1:0:0:1"], // first of two equal runs
    ["20010db8000100000001000100010001", "2001:db8:1:0:1:1:1:1"], // a single zero group stays
    ["00000000000000000000ffffc0a80501", "192.168.5.1"],
    ["20010db800000000000000000000abcd", "2001:db8::abcd"],
  ] as const) {
    it(`${hex} → ${want}`, () => assert.equal(goIPString(v6(hex)), want));
  }
});

describe("parseHexAddress", () => {
  it("reads the kernel's little-endian words", () => {
    assert.deepEqual(parseHexAddress("0105A8C0:0016"), { ip: "192.168.5.1", port: 22 });
    assert.deepEqual(parseHexAddress("B80D0120000000000000000001000000:0050"), { ip: "2001:db8::1", port: 80 });
  });
  it("rejects malformed fields", () => {
    assert.equal(parseHexAddress("0100007F"), undefined);
    assert.equal(parseHexAddress("0100:0016"), undefined);
  });
});
