import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PortForward } from "../../../src/config/types.js";
import {
  canonicalIP,
  effectiveRules,
  forwardingAddresses,
  ignoredProtocols,
  isStaticallyForwarded,
  separateStatic,
  type GuestPort,
} from "../../../src/portfwd/rules.js";

const SSH_LOCAL_PORT = 60022;
const tcp = (ip: string, port: number): GuestPort => ({ protocol: "tcp", ip, port });
const udp = (ip: string, port: number): GuestPort => ({ protocol: "udp", ip, port });
const hostOf = (user: PortForward[], guest: GuestPort, sshOnly = false): string | undefined =>
  forwardingAddresses(effectiveRules(user, SSH_LOCAL_PORT), guest, sshOnly).hostAddr;

describe("default rules", () => {
  test("loopback and unspecified guest listeners go to 127.0.0.1, same port", () => {
    for (const ip of ["127.0.0.1", "::1", "0.0.0.0", "::"]) assert.equal(hostOf([], tcp(ip, 8080)), "127.0.0.1:8080", ip);
  });
  test("other guest IPs are not forwarded", () => {
    for (const ip of ["192.168.5.15", "127.0.0.53", "fe80::1", "10.0.0.1"]) assert.equal(hostOf([], tcp(ip, 8080)), undefined, ip);
  });
  test("guest port 22 and the SSH local port are never forwarded, on any IP", () => {
    for (const ip of ["127.0.0.1", "::1", "0.0.0.0", "::"]) {
      assert.equal(hostOf([], tcp(ip, 22)), undefined, ip);
      assert.equal(hostOf([], tcp(ip, SSH_LOCAL_PORT)), undefined, ip);
    }
  });
  test("udp listeners are matched by the default rule too", () => {
    assert.equal(hostOf([], udp("0.0.0.0", 5000)), "127.0.0.1:5000");
  });
  test("guest addresses are Go's form: IPv6 in brackets, IPv4-mapped as IPv4", () => {
    const rules = effectiveRules([], SSH_LOCAL_PORT);
    assert.equal(forwardingAddresses(rules, tcp("::1", 80)).guestAddr, "[::1]:80");
    assert.equal(forwardingAddresses(rules, tcp("::ffff:127.0.0.1", 80)).guestAddr, "127.0.0.1:80");
    assert.equal(canonicalIP("0:0:0:0:0:0:0:1"), "::1");
    assert.equal(canonicalIP("::FFFF:0.0.0.0"), "0.0.0.0");
  });
});

describe("user rules", () => {
  test("hostPortRange remaps by the range offset", () => {
    const rules: PortForward[] = [{ guestPortRange: [8000, 8010], hostPortRange: [9000, 9010] }];
    assert.equal(hostOf(rules, tcp("127.0.0.1", 8005)), "127.0.0.1:9005");
    assert.equal(hostOf(rules, tcp("127.0.0.1", 8011)), "127.0.0.1:8011", "outside the range: default rule");
  });
  test("guestPort/hostPort pair", () => {
    assert.equal(hostOf([{ guestPort: 80, hostPort: 8080 }], tcp("0.0.0.0", 80)), "127.0.0.1:8080");
  });
  test("hostIP is used", () => {
    assert.equal(hostOf([{ guestPort: 3000, hostIP: "0.0.0.0" }], tcp("127.0.0.1", 3000)), "0.0.0.0:3000");
    assert.equal(hostOf([{ guestPort: 3000, hostIP: "::1" }], tcp("127.0.0.1", 3000)), "[::1]:3000");
  });
  test("a rule for a specific guest IP matches that IP and unspecified listeners", () => {
    const rules: PortForward[] = [{ guestIP: "192.168.5.15", guestPort: 8888, hostPort: 9999 }];
    assert.equal(hostOf(rules, tcp("192.168.5.15", 8888)), "127.0.0.1:9999");
    assert.equal(hostOf(rules, tcp("0.0.0.0", 8888)), "127.0.0.1:9999");
    assert.equal(hostOf(rules, tcp("127.0.0.1", 8888)), "127.0.0.1:8888", "falls through to the default rule");
  });
  test("::1 matches a 127.0.0.1 rule", () => {
    assert.equal(hostOf([{ guestIP: "127.0.0.1", guestPort: 4000, hostPort: 4001 }], tcp("::1", 4000)), "127.0.0.1:4001");
  });
  test("guestIP 0.0.0.0 with guestIPMustBeZero (the default for 0.0.0.0) matches only unspecified listeners", () => {
    const rules: PortForward[] = [{ guestIP: "0.0.0.0", guestPort: 5000, hostPort: 6000 }];
    assert.equal(hostOf(rules, tcp("0.0.0.0", 5000)), "127.0.0.1:6000");
    assert.equal(hostOf(rules, tcp("::", 5000)), "127.0.0.1:6000");
    assert.equal(hostOf(rules, tcp("127.0.0.1", 5000)), "127.0.0.1:5000", "default rule");
    assert.equal(hostOf(rules, tcp("192.168.5.15", 5000)), undefined);
  });
  test("guestIP 0.0.0.0 with guestIPMustBeZero false matches every guest IP", () => {
    const rules: PortForward[] = [{ guestIP: "0.0.0.0", guestIPMustBeZero: false, guestPort: 5000, hostPort: 6000 }];
    assert.equal(hostOf(rules, tcp("192.168.5.15", 5000)), "127.0.0.1:6000");
    assert.equal(hostOf(rules, tcp("127.0.0.1", 5000)), "127.0.0.1:6000");
  });
  test("an ignore rule for a specific IP does not stop an unspecified listener (the next rule decides)", () => {
    const rules: PortForward[] = [{ guestIP: "127.0.0.1", guestPort: 7000, ignore: true }];
    assert.equal(hostOf(rules, tcp("127.0.0.1", 7000)), undefined);
    assert.equal(hostOf(rules, tcp("0.0.0.0", 7000)), "127.0.0.1:7000");
  });
  test("an ignore rule on 0.0.0.0 stops unspecified listeners", () => {
    assert.equal(hostOf([{ guestIP: "0.0.0.0", guestPort: 7000, ignore: true }], tcp("0.0.0.0", 7000)), undefined);
  });
  test("proto tcp / udp / any", () => {
    const tcpOnly: PortForward[] = [{ guestPort: 53, hostPort: 5353, proto: "tcp" }];
    assert.equal(hostOf(tcpOnly, tcp("127.0.0.1", 53)), "127.0.0.1:5353");
    assert.equal(hostOf(tcpOnly, udp("127.0.0.1", 53)), "127.0.0.1:53", "udp falls to the default rule");
    const udpOnly: PortForward[] = [{ guestPort: 53, hostPort: 5353, proto: "udp" }];
    assert.equal(hostOf(udpOnly, udp("127.0.0.1", 53)), "127.0.0.1:5353");
    assert.equal(hostOf(udpOnly, tcp("127.0.0.1", 53)), "127.0.0.1:53");
    const ignoreUDP: PortForward[] = [{ proto: "udp", ignore: true }];
    assert.equal(hostOf(ignoreUDP, udp("127.0.0.1", 9000)), undefined);
    assert.equal(hostOf(ignoreUDP, udp("0.0.0.0", 9000)), "127.0.0.1:9000", "guestIP 127.0.0.1 (default) does not cover 0.0.0.0");
    assert.equal(hostOf([{ proto: "udp", guestIP: "0.0.0.0", ignore: true }], udp("0.0.0.0", 9000)), undefined);
    assert.equal(hostOf(ignoreUDP, tcp("127.0.0.1", 9000)), "127.0.0.1:9000");
  });
  test("the SSH forwarder's view ignores udp-only rules", () => {
    assert.equal(hostOf([{ guestPort: 53, hostPort: 5353, proto: "udp" }], tcp("127.0.0.1", 53), true), "127.0.0.1:53");
  });
  test("hostSocket is the host address; socket rules (guestSocket) are skipped in matching", () => {
    assert.equal(hostOf([{ guestPort: 2375, hostSocket: "/tmp/x/docker.sock" }], tcp("127.0.0.1", 2375)), "/tmp/x/docker.sock");
    const socketRule: PortForward[] = [{ guestSocket: "/run/docker.sock", hostSocket: "/tmp/d.sock" }];
    assert.equal(hostOf(socketRule, tcp("127.0.0.1", 2375)), "127.0.0.1:2375");
  });
  test("user rules cannot re-enable port 22 (the built-in ignore comes first)", () => {
    assert.equal(hostOf([{ guestPort: 22, hostPort: 2222 }], tcp("127.0.0.1", 22)), undefined);
  });
});

describe("rule list facts", () => {
  test("leading ignore-all rules set ignoreTCP/ignoreUDP", () => {
    assert.deepEqual(ignoredProtocols([{ ignore: true, proto: "tcp" }]), { ignoreTCP: true, ignoreUDP: false });
    assert.deepEqual(ignoredProtocols([{ ignore: true, proto: "udp" }]), { ignoreTCP: false, ignoreUDP: true });
    assert.deepEqual(ignoredProtocols([{ ignore: true }]), { ignoreTCP: true, ignoreUDP: true });
    assert.deepEqual(ignoredProtocols([{ guestPort: 80 }, { ignore: true }]), { ignoreTCP: false, ignoreUDP: false }, "not leading");
    assert.deepEqual(ignoredProtocols([{ ignore: true, guestPort: 80 }]), { ignoreTCP: false, ignoreUDP: false }, "not all ports");
  });
  test("static rules are separated and their range is left to SSH", () => {
    const user: PortForward[] = [{ guestPort: 8080, static: true }, { guestPort: 9090 }];
    const { staticRules, dynamicRules } = separateStatic(user);
    assert.deepEqual(staticRules, [user[0]]);
    assert.deepEqual(dynamicRules, [user[1]]);
    const rules = effectiveRules(user, SSH_LOCAL_PORT);
    assert.equal(isStaticallyForwarded(rules, tcp("0.0.0.0", 8080)), true);
    assert.equal(isStaticallyForwarded(rules, tcp("0.0.0.0", 9090)), false);
  });
});
