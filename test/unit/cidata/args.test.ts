import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import { describe, it } from "node:test";
import { deriveTemplateArgs, removeControlChars, type HostFacts, type StartArgs } from "../../../src/cidata/args.js";
import { guestEnvironment, redirectLoopbackProxy, resolveHost } from "../../../src/cidata/env.js";
import { macAddress, mountTag } from "../../../src/cidata/mac.js";
import { PUB_KEY, typicalInstance } from "./fixtures.js";

const HOME = "/Users/alice";
const DIR = "/Users/alice/.lima/default";

const start = (extra: Partial<StartArgs> = {}): StartArgs => ({
  udpDNSLocalPort: 40001,
  tcpDNSLocalPort: 40002,
  pubKeys: [PUB_KEY],
  debug: true,
  vsockPort: 0,
  virtioPort: "",
  noCloudInit: false,
  rosettaEnabled: false,
  rosettaBinFmt: false,
  ...extra,
});

const facts = (extra: Partial<HostFacts> = {}): HostFacts => ({
  homeDir: HOME,
  env: { EDITOR: "vim" },
  caCertFiles: [],
  now: new Date(1_700_000_000_500),
  ...extra,
});

function hostMachineId(): string {
  for (const file of ["/etc/machine-id", "/var/lib/dbus/machine-id"]) {
    try {
      return readFileSync(file, "utf8").trim();
    } catch {
      // next
    }
  }
  return os.hostname();
}

describe("mac.ts", () => {
  it("derives the MAC from SHA-256(machine-id + seed)", () => {
    const sha = createHash("sha256").update(`${hostMachineId()}${DIR}`).digest("hex");
    assert.equal(macAddress(DIR), `52:55:55:${sha.slice(0, 2)}:${sha.slice(2, 4)}:${sha.slice(4, 6)}`);
  });

  it("derives the mount tag from SHA-256(location:mountPoint)", () => {
    const sha = createHash("sha256").update("/Users/alice:/home/alice").digest("hex");
    assert.equal(mountTag("/Users/alice", "/home/alice"), `lima-${sha.slice(0, 16)}`);
    assert.match(mountTag("/a", "/a"), /^lima-[0-9a-f]{16}$/);
  });
});

describe("deriveTemplateArgs", () => {
  it("derives a typical QEMU instance", () => {
    const args = deriveTemplateArgs(typicalInstance(DIR, HOME), start(), facts());
    assert.equal(args.iid, "iid-1700000000");
    assert.equal(args.hostname, "lima-default");
    assert.equal(args.comment, "AliceLiddell");
    assert.equal(args.debug, true);
    assert.deepEqual(args.mounts, [
      {
        tag: mountTag(HOME, HOME),
        mountPoint: HOME,
        type: "9p",
        options: "ro,trans=virtio,version=9p2000.L,msize=131072,cache=fscache,nofail",
      },
      { tag: mountTag("/tmp/lima", "/tmp/lima"), mountPoint: "/tmp/lima", type: "9p", options: "rw,trans=virtio,version=9p2000.L,msize=131072,cache=mmap,nofail" },
    ]);
    assert.equal(args.hostHomeMountPoint, HOME);
    assert.equal(args.mountType, "9p");
    assert.deepEqual(args.disks, [
      { name: "data", device: "vdb", format: true, fsType: "ext4", fsArgs: ["-m", "0"] },
      { name: "raw", device: "vdc", format: false, fsType: "", fsArgs: [] },
    ]);
    assert.deepEqual(args.networks, [
      { macAddress: macAddress(DIR), interface: "eth0", metric: 200 },
      { macAddress: "52:55:55:aa:bb:cc", interface: "lima0", metric: 100 },
    ]);
    assert.deepEqual(
      [args.slirpGateway, args.slirpDNS, args.slirpIPAddress, args.udpDNSLocalPort, args.tcpDNSLocalPort],
      ["192.168.5.2", "192.168.5.3", "192.168.5.15", 40001, 40002],
    );
    assert.deepEqual(args.dnsAddresses, ["192.168.5.3"]);
    assert.deepEqual(args.bootCmds, [["echo boot-one", "echo boot-two"]]);
    assert.deepEqual(args.dataFiles, [{ fileName: "00000002", owner: "root:root", path: "/etc/lima-data.conf", permissions: "644", overwrite: false }]);
    assert.deepEqual(args.yqProvisions, [{ fileName: "00000005", owner: "alice", path: "/etc/app.json", permissions: "600", format: "auto" }]);
    assert.equal(args.caCerts, undefined);
    assert.equal(args.timeZone, "Etc/UTC");
    assert.deepEqual(args.param, { GREETING: "hello" });
  });

  it("uses the explicit dns list and no DNS ports when dns: is set", () => {
    const inst = typicalInstance(DIR, HOME);
    inst.config = { ...inst.config, dns: ["1.1.1.1", "8.8.8.8"] };
    const args = deriveTemplateArgs(inst, start(), facts());
    assert.deepEqual(args.dnsAddresses, ["1.1.1.1", "8.8.8.8"]);
    assert.deepEqual([args.udpDNSLocalPort, args.tcpDNSLocalPort], [0, 0]);
  });

  it("has no DNS and no ports when the host resolver is off", () => {
    const inst = typicalInstance(DIR, HOME);
    inst.config = { ...inst.config, hostResolver: { enabled: false } };
    const args = deriveTemplateArgs(inst, start(), facts());
    assert.deepEqual(args.dnsAddresses, []);
    assert.equal(args.udpDNSLocalPort, 0);
  });

  it("uses the gateway for DNS on vz and on user-v2 (whose NIC is not listed)", () => {
    const vz = typicalInstance(DIR, HOME);
    vz.config = { ...vz.config, vmType: "vz", mountType: "virtiofs" };
    const vzArgs = deriveTemplateArgs(vz, start(), facts());
    assert.deepEqual([vzArgs.slirpDNS, vzArgs.dnsAddresses, vzArgs.udpDNSLocalPort], ["192.168.5.2", ["192.168.5.2"], 0]);
    assert.equal(vzArgs.mounts[0]?.options, "ro,nofail");

    const usernet = deriveTemplateArgs(typicalInstance(DIR, HOME), start({ userV2: { networkIndex: 0, gatewayIP: "192.168.104.2" } }), facts());
    assert.deepEqual([usernet.slirpGateway, usernet.slirpDNS, usernet.slirpIPAddress], ["192.168.104.2", "192.168.104.2", ""]);
    assert.deepEqual(usernet.dnsAddresses, ["192.168.104.2"]);
    assert.equal(usernet.networks.length, 1);
  });

  it("gives a lima-ts user-v2 NIC its leased address and keeps slirp as eth0", () => {
    const args = deriveTemplateArgs(typicalInstance(DIR, HOME), start({ usernetAddresses: new Map([[0, "192.168.104.3/24"]]) }), facts());
    assert.deepEqual(args.networks, [
      { macAddress: macAddress(DIR), interface: "eth0", metric: 200 },
      { macAddress: "52:55:55:aa:bb:cc", interface: "lima0", metric: 100, address: "192.168.104.3/24" },
    ]);
    assert.equal(args.slirpGateway, "192.168.5.2");
  });

  it("gives reverse-sshfs mounts plain options", () => {
    const inst = typicalInstance(DIR, HOME);
    inst.config = { ...inst.config, mountType: "reverse-sshfs" };
    const args = deriveTemplateArgs(inst, start(), facts());
    assert.deepEqual(args.mounts.map((m) => [m.type, m.options]), [["sshfs", "defaults"], ["sshfs", "defaults"]]);
    assert.equal(args.mountType, "reverse-sshfs");
  });

  it("collects CA certs from files and inline, trimmed line by line", () => {
    const inst = typicalInstance(DIR, HOME);
    inst.config = { ...inst.config, caCerts: { removeDefaults: true, certs: ["  -----BEGIN-----\n\n  abc  \n-----END-----\n"] } };
    const args = deriveTemplateArgs(inst, start(), facts({ caCertFiles: ["A\nB\n"] }));
    assert.deepEqual(args.caCerts, { removeDefaults: true, trusted: [["A", "B"], ["-----BEGIN-----", "abc", "-----END-----"]] });
  });

  it("skips default dependency resolution when a dependency provision asks for it", () => {
    const inst = typicalInstance(DIR, HOME);
    inst.config = { ...inst.config, provision: [{ mode: "dependency", script: "true", skipDefaultDependencyResolution: true }] };
    assert.equal(deriveTemplateArgs(inst, start(), facts()).skipDefaultDependencyResolution, true);
  });

  it("validates like Lima", () => {
    const inst = typicalInstance(DIR, HOME);
    assert.throws(() => deriveTemplateArgs(inst, start({ pubKeys: [] }), facts()), /no SSH key was found, run `ssh-keygen`/);
    inst.config = { ...inst.config, user: { ...inst.config?.user, name: "root" } };
    assert.throws(() => deriveTemplateArgs(inst, start(), facts()), /field User must not be `root`/);
    const relative = typicalInstance(DIR, HOME);
    relative.config = { ...relative.config, mounts: [{ location: "/x", mountPoint: "rel", writable: false, "9p": { msize: "128KiB" } }] };
    assert.throws(() => deriveTemplateArgs(relative, start(), facts()), /field mounts\[0\] must be absolute, got `rel`/);
    const badSize = typicalInstance(DIR, HOME);
    badSize.config = { ...badSize.config, mounts: [{ location: "/x", mountPoint: "/x", "9p": { msize: "lots" } }] };
    assert.throws(() => deriveTemplateArgs(badSize, start(), facts()), /failed to parse msize for `\/x`/);
  });

  it("removes non-printable characters from the comment", () => {
    assert.equal(removeControlChars("A\tB\u0007C\u00a0D é"), "ABCD é");
  });
});

describe("guest environment", () => {
  it("redirects loopback proxies to the gateway and keeps others", async () => {
    assert.equal(await redirectLoopbackProxy("http://localhost:3128", "192.168.5.2", resolveHost), "http://192.168.5.2:3128");
    assert.equal(await redirectLoopbackProxy("http://user:pw@127.0.0.1:8080/x?y", "192.168.5.2", resolveHost), "http://user:pw@192.168.5.2:8080/x?y");
    assert.equal(await redirectLoopbackProxy("socks5://[::1]", "192.168.5.2", resolveHost), "socks5://192.168.5.2");
    assert.equal(await redirectLoopbackProxy("http://10.1.2.3:3128", "192.168.5.2", resolveHost), "http://10.1.2.3:3128");
    assert.equal(await redirectLoopbackProxy("localhost:3128", "192.168.5.2", resolveHost), "localhost:3128");
  });

  it("merges env:, the host proxy variables and synchronises their case", async () => {
    const env = await guestEnvironment({
      configEnv: { EDITOR: "vim", https_proxy: "http://proxy.example:1", NO_PROXY: "corp", ftp_proxy: "" },
      processEnv: { http_proxy: "http://127.0.0.1:3128", HTTPS_PROXY: "http://other:2", PATH: "/bin" },
      propagateProxyEnv: true,
      slirpGateway: "192.168.5.2",
      resolve: async (host) => (host === "127.0.0.1" ? ["127.0.0.1"] : ["10.0.0.1"]),
    });
    assert.deepEqual(env, {
      EDITOR: "vim",
      http_proxy: "http://192.168.5.2:3128",
      HTTP_PROXY: "http://192.168.5.2:3128",
      https_proxy: "http://proxy.example:1",
      HTTPS_PROXY: "http://proxy.example:1",
      NO_PROXY: "corp",
      no_proxy: "corp",
    });
  });

  it("ignores the host proxies when propagateProxyEnv is false", async () => {
    const env = await guestEnvironment({
      configEnv: {},
      processEnv: { http_proxy: "http://10.0.0.1:3128" },
      propagateProxyEnv: false,
      slirpGateway: "192.168.5.2",
    });
    assert.deepEqual(env, {});
  });
});
