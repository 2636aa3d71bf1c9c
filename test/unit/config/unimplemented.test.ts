import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LimaYAML } from "../../../src/config/types.js";
import { unimplementedFields } from "../../../src/config/unimplemented.js";

describe("unimplementedFields", () => {
  it("is silent for what lima-ts does: 9p mounts, mountInotify, port forwards, display none, script and yq provisions, host resolver names, copyToHost", () => {
    const y: LimaYAML = {
      mounts: [{ location: "~" }], mountType: "9p", mountInotify: true, portForwards: [{ guestPort: 80 }], copyToHost: [{ guest: "/etc/os-release", host: "/tmp/os-release" }],
      hostResolver: { enabled: true, hosts: { "host.docker.internal": "host.lima.internal" } }, video: { display: "none", vnc: { display: "127.0.0.1:0,to=9" } },
      provision: [{ mode: "system", script: "true" }, { mode: "yq", path: "/etc/x.json", expression: ".a = 1" }], networks: [{ socket: "/var/run/socket_vmnet" }],
    };
    assert.deepEqual(unimplementedFields(y), []);
  });

  it("names each ignored field once, whatever the number of entries", () => {
    const y: LimaYAML = {
      portForwards: [{ guestPort: 80 }, { guestPort: 443 }],
      copyToHost: [{ guest: "/etc/os-release", host: "/tmp/os-release" }],
      mountInotify: true,
      mounts: [{ location: "~" }, { location: "/tmp/lima", writable: true }],
      mountType: "reverse-sshfs",
      video: { display: "vnc" },
      provision: [{ mode: "yq", path: "/etc/x.json", expression: ".a = 1" }, { mode: "system" }, { mode: "yq", path: "/etc/y", expression: "." }],
      networks: [{ lima: "user-v2" }, { lima: "mynet" }],
    };
    assert.deepEqual(unimplementedFields(y), [
      "field `video.display: vnc`: the VNC password (`vncpassword`) is not implemented yet in lima-ts, so no VNC client can connect",
    ]);
  });

  it("says nothing about mounts of any type", () => {
    assert.deepEqual(unimplementedFields({ mounts: [{ location: "~" }], mountType: "virtiofs" }), []);
    assert.deepEqual(unimplementedFields({ mounts: [{ location: "~" }], mountType: "9p" }), []);
    assert.deepEqual(unimplementedFields({ mounts: [], mountType: "reverse-sshfs" }), []);
    // reverse-sshfs is mounted by the host agent.
    assert.deepEqual(unimplementedFields({ mounts: [{ location: "~" }], mountType: "reverse-sshfs" }), []);
  });

  it("says nothing about lima networks (user-v2 works; the others are refused by validation)", () => {
    assert.deepEqual(unimplementedFields({ networks: [{ lima: "shared" }, { lima: "user-v2" }] }), []);
  });
});
