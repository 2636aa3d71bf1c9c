import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildHostTable, canonicalName, hostResolverHosts, ipv4Of, resolveAlias } from "../../../src/hostresolver/hosts.js";

describe("host resolver static hosts", () => {
  it("add host.lima.internal and lima-<name> to hostResolver.hosts, overriding same-named entries", () => {
    const hosts = hostResolverHosts("dev", { hostResolver: { hosts: { "my.example": "10.0.0.1", "host.lima.internal": "1.2.3.4" } } });
    assert.deepEqual(hosts, { "my.example": "10.0.0.1", "host.lima.internal": "192.168.5.2", "lima-dev": "192.168.5.15" });
    assert.deepEqual(hostResolverHosts("x", {}), { "host.lima.internal": "192.168.5.2", "lima-x": "192.168.5.15" });
  });

  it("split IP values from aliases, keyed by lower-case fully qualified names", () => {
    const table = buildHostTable({ "MyHost.Example": "10.1.2.3", "v6.example.": "fd00::1", "Alias.Example": "MyHost.example", "zone.example": "fe80::1%eth0" });
    assert.deepEqual([...table.ips], [["myhost.example.", "10.1.2.3"], ["v6.example.", "fd00::1"]]);
    // An address with a zone is no IP for Go's net.ParseIP, so Lima treats it as a name.
    assert.deepEqual([...table.aliases], [["alias.example.", "myhost.example."], ["zone.example.", "fe80::1%eth0."]]);
    assert.equal(canonicalName("A.b"), "a.b.");
    assert.equal(canonicalName("a.b."), "a.b.");
  });

  it("follow alias chains case-insensitively and stop on cycles", () => {
    const table = buildHostTable({ a: "B", b: "c.example", "c.example": "10.0.0.3", x: "y", y: "z", z: "x", self: "self" });
    assert.equal(resolveAlias(table, "A."), "c.example.");
    assert.equal(resolveAlias(table, "unknown.example"), "unknown.example.");
    assert.equal(resolveAlias(table, "x"), "x.");
    assert.equal(resolveAlias(table, "y"), "y.");
    assert.equal(resolveAlias(table, "self"), "self.");
  });

  it("read IPv4 addresses, also IPv4-mapped IPv6 ones", () => {
    assert.equal(ipv4Of("10.0.0.1"), "10.0.0.1");
    assert.equal(ipv4Of("::FFFF:10.0.0.2"), "10.0.0.2");
    assert.equal(ipv4Of("fd00::1"), undefined);
  });
});
