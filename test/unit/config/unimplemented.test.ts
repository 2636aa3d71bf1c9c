import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LimaYAML } from "../../../src/config/types.js";
import { unimplementedFields } from "../../../src/config/unimplemented.js";

const ctx = { networkModes: { "user-v2": "user-v2", shared: "shared", mynet: "user-v2" } };

describe("unimplementedFields", () => {
  it("is silent for what lima-ts does: 9p mounts, port forwards, display none, script and yq provisions, host resolver names", () => {
    const y: LimaYAML = {
      mounts: [{ location: "~" }], mountType: "9p", mountInotify: false, portForwards: [{ guestPort: 80 }], copyToHost: [],
      hostResolver: { enabled: true, hosts: { "host.docker.internal": "host.lima.internal" } }, video: { display: "none", vnc: { display: "127.0.0.1:0,to=9" } },
      provision: [{ mode: "system", script: "true" }, { mode: "yq", path: "/etc/x.json", expression: ".a = 1" }], networks: [{ socket: "/var/run/socket_vmnet" }],
    };
    assert.deepEqual(unimplementedFields(y, ctx), []);
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
    assert.deepEqual(unimplementedFields(y, ctx), [
      "field `copyToHost` (1 rule) is not implemented yet in lima-ts and has no effect: nothing is copied from the guest",
      "field `mountInotify: true` is not implemented yet in lima-ts and has no effect: host file changes raise no inotify events in the guest",
      "field `mounts` (2 entries) with `mountType: reverse-sshfs` is not implemented yet in lima-ts and has no effect: nothing is mounted; only `mountType: 9p` and `mountType: virtiofs` mounts work",
      "field `video.display: vnc`: the VNC password (`vncpassword`) is not implemented yet in lima-ts, so no VNC client can connect",
      "fields `networks[0].lima`, `networks[1].lima` (`user-v2` network) are not implemented yet in lima-ts: `limactl start` fails with it; remove it, or use `socket:`",
    ]);
  });

  it("says nothing about 9p and virtiofs mounts, nor about mount types when nothing is mounted", () => {
    assert.deepEqual(unimplementedFields({ mounts: [{ location: "~" }], mountType: "virtiofs" }, ctx), []);
    assert.deepEqual(unimplementedFields({ mounts: [{ location: "~" }], mountType: "9p" }, ctx), []);
    assert.deepEqual(unimplementedFields({ mounts: [], mountType: "reverse-sshfs" }, ctx), []);
  });

  it("tells user-v2 networks from other lima networks by their mode in networks.yaml", () => {
    assert.deepEqual(unimplementedFields({ networks: [{ lima: "shared" }] }, ctx), []);
    assert.equal(unimplementedFields({ networks: [{ lima: "mynet" }] }, ctx).length, 1);
  });
});
