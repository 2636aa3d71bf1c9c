import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { domainName, domainUUID, formatSnapshotList, isActiveState, libvirtOpts, parseConnection, statusOfDomain } from "../../../../src/driver/libvirt/options.js";

describe("libvirtOpts", () => {
  it("reads vmOpts.libvirt", () => {
    assert.deepEqual(libvirtOpts({}), {});
    assert.deepEqual(libvirtOpts({ vmOpts: { libvirt: { uri: "qemu+ssh://u@h/system", network: "default", pool: "images", sshAddress: "10.0.0.2" } } }),
      { uri: "qemu+ssh://u@h/system", network: "default", pool: "images", sshAddress: "10.0.0.2" });
  });

  it("names the field of an unknown key or a wrong value", () => {
    assert.throws(() => libvirtOpts({ vmOpts: { libvirt: { url: "x" } } }), /field `vmOpts.libvirt.url` is unknown; the libvirt driver knows `uri`, `network`, `pool`, `sshAddress`/);
    assert.throws(() => libvirtOpts({ vmOpts: { libvirt: { uri: 5 } } }), /field `vmOpts.libvirt.uri` must be a non-empty string, got 5/);
    assert.throws(() => libvirtOpts({ vmOpts: { libvirt: "qemu:///system" } }), /field `vmOpts.libvirt` must be a map/);
  });
});

describe("parseConnection", () => {
  it("tells local from remote and system from session", () => {
    assert.deepEqual(parseConnection("qemu:///system"), { uri: "qemu:///system", remote: false, system: true });
    assert.deepEqual(parseConnection("qemu:///session"), { uri: "qemu:///session", remote: false, system: false });
    assert.deepEqual(parseConnection("qemu+ssh://me@vm-host.example:2222/system?keyfile=/k"), { uri: "qemu+ssh://me@vm-host.example:2222/system?keyfile=/k", remote: true, host: "vm-host.example", system: true });
    assert.equal(parseConnection("qemu+tcp://[fd00::1]/system").host, "fd00::1");
  });

  it("rejects what is not a URI, naming the field", () => {
    assert.throws(() => parseConnection("system"), /field `vmOpts.libvirt.uri`: `system` is not a libvirt URI/);
  });
});

describe("domain identity", () => {
  it("differs per instance directory, so two LIMA_HOMEs do not share a domain", () => {
    assert.match(domainName("default", "/a/.lima/default"), /^lima-default-[0-9a-f]{8}$/);
    assert.notEqual(domainName("default", "/a/.lima/default"), domainName("default", "/b/.lima/default"));
    assert.equal(domainName("default", "/a/.lima/default"), domainName("default", "/a/.lima/default/"));
  });

  it("has a stable, well-formed UUID", () => {
    const uuid = domainUUID("/a/.lima/default");
    assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(uuid, domainUUID("/a/.lima/default"));
    assert.notEqual(uuid, domainUUID("/b/.lima/default"));
  });
});

describe("domain state", () => {
  it("is Running while QEMU runs and Stopped otherwise", () => {
    for (const state of ["running (booted)", "paused (user)", "in shutdown", "pmsuspended"]) {
      assert.ok(isActiveState(state), state);
      assert.equal(statusOfDomain(state), "Running");
    }
    for (const state of ["shut off (shutdown)", "shut off (destroyed)", "crashed (panicked)"]) {
      assert.ok(!isActiveState(state), state);
      assert.equal(statusOfDomain(state), "Stopped");
    }
    assert.equal(statusOfDomain(undefined), "Stopped");
  });
});

describe("formatSnapshotList", () => {
  it("lists tags in the second column, as the QEMU driver's list", () => {
    const virsh = [
      " Name    Creation Time               State",
      "---------------------------------------------",
      " snap1   2026-11-30 18:33:07 +0000   running",
      " before-upgrade   2026-11-30 18:40:00 +0000   shutoff",
      "",
    ].join("\n");
    assert.equal(formatSnapshotList(virsh), [
      "ID  TAG             DATE                       STATE",
      "1   snap1           2026-11-30 18:33:07 +0000  running",
      "2   before-upgrade  2026-11-30 18:40:00 +0000  shutoff",
      "",
    ].join("\n"));
    assert.equal(formatSnapshotList(" Name   Creation Time   State\n------\n\n"), "");
  });
});
