import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { defaultConfigText, loadNetworksConfig, parseNetworksConfig } from "../../../src/networks/config.js";
import { gatewayString, parseCIDR, subnetOf, subnetString } from "../../../src/networks/ipv4.js";
import { createExpression } from "../../../src/cli/commands/network.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "lima-networks-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("networks.yaml", () => {
  it("is Lima's template with the socket_vmnet path filled in", () => {
    const text = defaultConfigText("/opt/socket_vmnet/bin/socket_vmnet");
    assert.match(text, /^# Path to socket_vmnet executable\. Because socket_vmnet is invoked via sudo it should be\n/);
    assert.match(text, /\n {2}socketVMNet: "\/opt\/socket_vmnet\/bin\/socket_vmnet"\n {2}varRun: \/private\/var\/run\/lima\n/);
    assert.match(text, /\n {4}# bridged mode doesn't have a gateway; dhcp is managed by outside network\n/);
    const cfg = parseNetworksConfig(text, "networks.yaml");
    assert.deepEqual(Object.keys(cfg.networks), ["user-v2", "shared", "bridged", "host"]);
    assert.deepEqual(cfg.networks["user-v2"], { mode: "user-v2", gateway: "192.168.104.1", netmask: "255.255.255.0" });
    assert.deepEqual(cfg.networks.shared, { mode: "shared", gateway: "192.168.105.1", dhcpEnd: "192.168.105.254", netmask: "255.255.255.0" });
    assert.deepEqual(cfg.networks.bridged, { mode: "bridged", interface: "en0" });
    assert.equal(cfg.group, "admin");
  });

  it("always has a user-v2 network, as Lima fills it in when none with a gateway is left", () => {
    const cfg = parseNetworksConfig("networks:\n  mine:\n    mode: shared\n    gateway: 10.0.0.1\n", "f");
    assert.deepEqual(Object.keys(cfg.networks).sort(), ["mine", "user-v2"]);
    const own = parseNetworksConfig("networks:\n  u:\n    mode: user-v2\n    gateway: 10.0.0.1\n", "f");
    assert.deepEqual(Object.keys(own.networks), ["u"]);
  });

  it("names the file when it cannot be parsed", () => {
    assert.throws(() => parseNetworksConfig("networks: [\n", "/x/networks.yaml"), /^LimaError: cannot parse `\/x\/networks\.yaml`: /);
  });

  it("is written from the template on first load and read as it is afterwards", () => {
    const file = path.join(tmp, "_config", "networks.yaml");
    loadNetworksConfig(file);
    assert.match(readFileSync(file, "utf8"), /^# Path to socket_vmnet/);
    writeFileSync(file, "networks:\n  only:\n    mode: host\n");
    assert.deepEqual(Object.keys(loadNetworksConfig(file).networks).sort(), ["only", "user-v2"]);
  });
});

describe("network addresses", () => {
  it("prints gateways as Go's IPNet does", () => {
    assert.equal(gatewayString("192.168.105.1", "255.255.255.0"), "192.168.105.1/24");
    assert.equal(gatewayString("10.0.0.1", "255.255.0.0"), "10.0.0.1/16");
    assert.equal(gatewayString("10.0.0.1", "255.0.255.0"), "10.0.0.1/ff00ff00");
    assert.equal(gatewayString("10.0.0.1", undefined), "<nil>");
  });

  it("derives the subnet of a gateway", () => {
    assert.equal(subnetString(subnetOf("192.168.104.1", "255.255.255.0")), "192.168.104.0/24");
    assert.equal(subnetString(subnetOf("10.1.2.3", "255.255.0.0")), "10.1.0.0/16");
    assert.throws(() => parseCIDR("1.2.3.4/40"), /invalid CIDR address: 1\.2\.3\.4\/40/);
  });
});

describe("network create's yq expression", () => {
  const opts = { mode: "user-v2", gateway: "", interface: "" };
  it("adds /24 and writes the netmask, with Lima's empty interface", () => {
    assert.equal(createExpression("foo", { ...opts, gateway: "192.168.42.1" }), '.networks."foo" = {"mode":"user-v2","gateway":"192.168.42.1","netmask":"255.255.255.0","interface":""}');
    assert.equal(createExpression("foo", { ...opts, gateway: "10.9.8.7/16" }), '.networks."foo" = {"mode":"user-v2","gateway":"10.9.8.7","netmask":"255.255.0.0","interface":""}');
  });
  it("checks the flags per mode as Lima does", () => {
    assert.equal(createExpression("b", { mode: "bridged", gateway: "", interface: "eth1" }), '.networks."b" = {"mode":"bridged","interface":"eth1"}');
    assert.throws(() => createExpression("b", { mode: "bridged", gateway: "1.2.3.4", interface: "eth1" }), /network mode `bridged` does not support specifying gateway/);
    assert.throws(() => createExpression("b", { mode: "bridged", gateway: "", interface: "" }), /network mode `bridged` requires specifying interface/);
    assert.throws(() => createExpression("h", { ...opts, mode: "host" }), /network mode `host` requires specifying gateway/);
    assert.throws(() => createExpression("h", { mode: "host", gateway: "1.2.3.4", interface: "x" }), /network mode `host` does not support specifying interface/);
    assert.throws(() => createExpression("h", { ...opts, gateway: "0.0.0.0" }), /invalid IP address: 0\.0\.0\.0/);
    assert.throws(() => createExpression("h", { ...opts, gateway: "127.0.0.2/8" }), /invalid IP address: 127\.0\.0\.2/);
  });
});
