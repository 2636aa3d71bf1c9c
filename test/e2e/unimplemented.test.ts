// What lima-ts does not do yet is said, never silently ignored: lima.yaml fields without effect
// are named once at create and at start. No VM boots:
// the start below fails on its `socket:` network (no such socket) before QEMU runs.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { LimaHome } from "../helpers/limactl.js";

const home = new LimaHome();
const mountDir = mkdtempSync(path.join(os.tmpdir(), "lima-mount-"));
after(() => {
  home.cleanup();
  rmSync(mountDir, { recursive: true, force: true });
});

const TEMPLATE = `images: [{location: /etc/profile}]
firmware: {legacyBIOS: true}
portForwards: [{guestPort: 8080, hostPort: 18080}]
copyToHost: [{guest: /etc/os-release, host: /tmp/os-release}]
mountInotify: true
hostResolver: {hosts: {host.docker.internal: host.lima.internal}}
mounts: [{location: ${mountDir}}]
mountType: reverse-sshfs
video: {display: vnc}
provision: [{mode: yq, path: /etc/x.json, expression: .a = 1}]
networks: [{socket: /nonexistent/lima-ts-unimplemented.sock}]
# Its archive cannot be downloaded here, and start would fail on that before the network.
containerd: {system: false, user: false}
`;

const FIELDS = ["video.display: vnc"];

/** The warning lines naming `field`. */
function warningsAbout(stderr: string, field: string): string[] {
  return stderr.split("\n").filter((l) => l.includes("level=warning") && l.includes(`field \`${field}\``));
}

describe("fields lima-ts does not implement yet", () => {
  it("create names each ignored field in one warning", async () => {
    const res = await home.limactl(["create", "--tty=false", "--name=todo", "-"], { input: TEMPLATE });
    assert.equal(res.code, 0, res.stderr);
    for (const field of FIELDS) {
      const lines = warningsAbout(res.stderr, field);
      assert.equal(lines.length, 1, `one warning about ${field}:\n${res.stderr}`);
      assert.match(lines[0] ?? "", /not implemented yet in lima-ts/);
    }
    // Implemented since: user-v2 networks, the host resolver answers hostResolver.hosts, the guest agent forwards ports, runs yq and touches inotified files, the host agent mounts reverse-sshfs and copies copyToHost files.
    for (const field of ["networks[0].lima", "networks[0].socket", "hostResolver.hosts", "portForwards", "provision[0]", "mounts", "mountInotify: true", "copyToHost"]) assert.deepEqual(warningsAbout(res.stderr, field), []);
  });

  it("start names them once too", async () => {
    const res = await home.limactl(["start", "todo"], { env: { LIMA_QEMU_ACCEL: "tcg" }, timeoutMs: 60_000 });
    assert.equal(res.code, 1, res.stderr);
    for (const field of FIELDS) assert.equal(warningsAbout(res.stderr, field).length, 1, `one warning about ${field}:\n${res.stderr}`);
    assert.match(res.stderr, /lima-ts-unimplemented\.sock/);
  });

  it("a plain instance gets no such warning", async () => {
    const res = await home.limactl(["create", "--tty=false", "--name=plain", "-"], { input: "images: [{location: /etc/profile}]\n" });
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /not implemented yet/);
  });

  it("9p, virtiofs and reverse-sshfs mounts get no such warning", async () => {
    for (const mountType of ["9p", "virtiofs", "reverse-sshfs"]) {
      const yaml = `images: [{location: /etc/profile}]\nmounts: [{location: ${mountDir}}]\nmountType: ${mountType}\n`;
      const res = await home.limactl(["create", "--tty=false", `--name=mounts-${mountType}`, "-"], { input: yaml });
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(warningsAbout(res.stderr, "mounts"), [], mountType);
    }
  });
});
