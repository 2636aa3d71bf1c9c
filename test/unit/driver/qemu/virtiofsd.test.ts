// virtiofsd lookup over a fake directory tree, its arguments, and the daemons' lifecycle with a
// fake virtiofsd (a shell script that creates its socket path and waits).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import {
  VirtiofsDaemons,
  findVirtiofsd,
  servesSocket,
  vhostUserDirs,
  virtiofsdArgs,
  virtiofsdCandidates,
  virtiofsdFlavour,
  virtiofsdSocket,
  virtiofsdUnusable,
  type Virtiofsd,
} from "../../../../src/driver/qemu/virtiofsd.js";

function script(file: string, body: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

function backend(dir: string, name: string, json: unknown): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), typeof json === "string" ? json : JSON.stringify(json));
}

/** ~/.local, a QEMU prefix and /usr under one temp dir. */
function tree(): { root: string; home: string; usr: string; qemuExe: string; local: string; prefix: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), "vhost-"));
  const home = path.join(root, "home");
  const qemuExe = path.join(root, "opt", "bin", "qemu-system-x86_64");
  return { root, home, usr: path.join(root, "usr"), qemuExe, local: path.join(home, ".local/share/qemu/vhost-user"), prefix: path.join(root, "opt/share/qemu/vhost-user") };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("virtiofsd lookup", () => {
  it("looks in ~/.local, the QEMU prefix, then /usr, as Lima", () => {
    assert.deepEqual(vhostUserDirs("/opt/q/bin/qemu-system-x86_64", "/home/u"), [
      "/home/u/.local/share/qemu/vhost-user",
      "/opt/q/share/qemu/vhost-user",
      "/usr/share/qemu/vhost-user",
    ]);
    assert.deepEqual(vhostUserDirs("/usr/bin/qemu-system-x86_64", "/home/u"), ["/home/u/.local/share/qemu/vhost-user", "/usr/share/qemu/vhost-user"]);
  });

  it("takes the fs backends of the JSON files in name order, skipping other types and broken files, then the fallback", () => {
    const t = tree();
    const fallback = script(path.join(t.root, "usr/lib/qemu/virtiofsd"), "exit 0");
    backend(t.local, "10-gpu.json", { type: "gpu", binary: "/x/vhost-user-gpu" });
    backend(t.local, "20-broken.json", "{not json");
    backend(t.local, "50-fs.json", { type: "fs", binary: "/home/u/virtiofsd" });
    backend(t.local, "notes.txt", { type: "fs", binary: "/never" });
    backend(t.prefix, "40-fs.json", { type: "fs", binary: "/opt/libexec/virtiofsd" });
    const missing = path.join(t.root, "missing");
    assert.deepEqual(virtiofsdCandidates([t.local, missing, t.prefix], [fallback, path.join(t.root, "absent")]), ["/home/u/virtiofsd", "/opt/libexec/virtiofsd", fallback]);
  });

  it("tells QEMU's C virtiofsd from the Rust one by --version", () => {
    assert.equal(virtiofsdFlavour("virtiofsd version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022\n"), "qemu");
    assert.equal(virtiofsdFlavour("virtiofsd 1.10.1\n"), "rust");
  });

  it("finds the first candidate that answers --version", async () => {
    const t = tree();
    const broken = script(path.join(t.root, "bin/broken"), "exit 1");
    const rust = script(path.join(t.root, "bin/rust"), 'echo "virtiofsd 1.10.1"');
    const cVersion = script(path.join(t.root, "bin/c"), 'echo "virtiofsd version 7.2.22 (Debian)"');
    backend(t.local, "10-broken.json", { type: "fs", binary: broken });
    backend(t.local, "20-rust.json", { type: "fs", binary: rust });
    assert.deepEqual(await findVirtiofsd(t.qemuExe, { homeDir: t.home, usrDir: t.usr, fallbacks: [cVersion] }), { binary: rust, flavour: "rust", version: "virtiofsd 1.10.1" });
    const onlyC = tree();
    backend(path.join(onlyC.usr, "share/qemu/vhost-user"), "50-qemu-virtiofsd.json", { type: "fs", binary: cVersion });
    assert.deepEqual(await findVirtiofsd(onlyC.qemuExe, { homeDir: onlyC.home, usrDir: onlyC.usr, fallbacks: [] }), { binary: cVersion, flavour: "qemu", version: "virtiofsd version 7.2.22 (Debian)" });
  });

  it("names QEMU's C virtiofsd whose --version a non-root user cannot even run", async () => {
    const t = tree();
    const c = script(path.join(t.root, "bin/c"), "echo 'setgroups() failed with error=1:Operation not permitted' >&2; exit 1");
    assert.deepEqual(await findVirtiofsd(t.qemuExe, { homeDir: t.home, usrDir: t.usr, fallbacks: [c] }), { binary: c, flavour: "qemu", version: "--version fails: setgroups() failed" });
    const rust = script(path.join(t.root, "bin/rust"), 'echo "virtiofsd 1.10.1"');
    backend(t.prefix, "60-rust.json", { type: "fs", binary: rust });
    assert.equal((await findVirtiofsd(t.qemuExe, { homeDir: t.home, usrDir: t.usr, fallbacks: [c] })).binary, rust, "a working one wins over it");
  });

  it("says where it looked and what to install when there is none", async () => {
    const t = tree();
    await assert.rejects(
      findVirtiofsd(t.qemuExe, { homeDir: t.home, usrDir: t.usr, fallbacks: ["/usr/lib/qemu/virtiofsd-absent"] }),
      /failed to locate virtiofsd for `mountType: virtiofs` \(looked in `.*\/home\/\.local\/share\/qemu\/vhost-user\/\*\.json`, .*`\/usr\/lib\/qemu\/virtiofsd-absent`\): install virtiofsd/,
    );
  });
});

describe("virtiofsd for a user", () => {
  const c: Virtiofsd = { binary: "/usr/lib/qemu/virtiofsd", flavour: "qemu", version: "virtiofsd version 7.2.22" };
  const rust: Virtiofsd = { binary: "/usr/libexec/virtiofsd", flavour: "rust", version: "virtiofsd 1.10.1" };

  it("refuses QEMU's C virtiofsd for a non-root user, naming the fixes and the lima.yaml", () => {
    const why = virtiofsdUnusable(c, 1000, "/h/.lima/vm/lima.yaml") ?? "";
    assert.match(why, /^`\/usr\/lib\/qemu\/virtiofsd` \(virtiofsd version 7\.2\.22\) is QEMU's C virtiofsd, which only runs as root/);
    assert.match(why, /apt install virtiofsd/);
    assert.match(why, /~\/\.local\/share\/qemu\/vhost-user\/50-virtiofsd\.json/);
    assert.match(why, /set `mountType: 9p` or `mountType: reverse-sshfs` in `\/h\/\.lima\/vm\/lima\.yaml`$/);
    assert.equal(virtiofsdUnusable(c, 0, "lima.yaml"), undefined);
    assert.equal(virtiofsdUnusable(rust, 1000, "lima.yaml"), undefined);
  });

  it("passes the socket and the shared directory in each one's spelling", () => {
    assert.deepEqual(virtiofsdArgs("rust", "/i/virtiofsd-0.sock", "/a b"), ["--socket-path", "/i/virtiofsd-0.sock", "--shared-dir", "/a b"]);
    assert.deepEqual(virtiofsdArgs("qemu", "/i/virtiofsd-0.sock", "/a b"), ["--socket-path=/i/virtiofsd-0.sock", "-o", "source=/a b"]);
    assert.equal(virtiofsdSocket("/i", 1), "/i/virtiofsd-1.sock");
  });

  it("recognizes a virtiofsd command line serving a socket", () => {
    assert.ok(servesSocket(["/v", "--socket-path=/i/virtiofsd-0.sock", "-o", "source=/x"], "/i/virtiofsd-0.sock"));
    assert.ok(servesSocket(["/v", "--socket-path", "/i/virtiofsd-0.sock"], "/i/virtiofsd-0.sock"));
    assert.ok(!servesSocket(["/v", "--socket-path=/i/virtiofsd-1.sock"], "/i/virtiofsd-0.sock"));
    assert.ok(!servesSocket(["/v", "/i/virtiofsd-0.sock"], "/i/virtiofsd-0.sock"));
  });
});

describe("virtiofsd daemons", () => {
  // Creates its socket path (a plain file is enough for the wait) and serves until terminated,
  // keeping its command line (no exec) so that a stray one can be recognized.
  const FAKE = [
    'for a in "$@"; do case "$a" in --socket-path=*) sock="${a#--socket-path=}";; esac; done',
    ': >"$sock"',
    "sleep 600 &",
    'trap \'kill $!; exit 0\' TERM',
    "wait",
  ].join("\n");

  function fake(root: string, body = FAKE): Virtiofsd {
    return { binary: script(path.join(root, "virtiofsd"), body), flavour: "qemu", version: "fake" };
  }

  it("start one per mount, wait for the sockets, and stop them all, removing the sockets", async () => {
    const inst = mkdtempSync(path.join(os.tmpdir(), "inst-"));
    const daemons = new VirtiofsDaemons(inst);
    await daemons.start(fake(inst), [{ location: "/a" }, { location: "/b" }]);
    assert.ok(existsSync(virtiofsdSocket(inst, 0)) && existsSync(virtiofsdSocket(inst, 1)));
    await daemons.stop();
    assert.ok(!existsSync(virtiofsdSocket(inst, 0)) && !existsSync(virtiofsdSocket(inst, 1)));
  });

  it("fail with virtiofsd's own words when it exits, leaving none running", async () => {
    const inst = mkdtempSync(path.join(os.tmpdir(), "inst-"));
    const good = fake(path.join(inst, "good"));
    const daemons = new VirtiofsDaemons(inst);
    await daemons.start(good, [{ location: "/a" }]);
    const bad = fake(path.join(inst, "bad"), "echo 'setgroups() failed with error=1:Operation not permitted' >&2\nexit 1");
    const second = new VirtiofsDaemons(path.join(inst, "other"));
    mkdirSync(path.join(inst, "other"));
    await assert.rejects(second.start(bad, [{ location: "/a" }]), /virtiofsd exited before creating .*virtiofsd-0\.sock.* \(exit status 1\): setgroups\(\) failed/);
    await daemons.stop();
  });

  it("stop a virtiofsd a killed host agent left serving the instance's socket before starting anew", { timeout: 30_000 }, async () => {
    const inst = mkdtempSync(path.join(os.tmpdir(), "inst-"));
    const v = fake(inst);
    const stray = spawn(v.binary, [`--socket-path=${virtiofsdSocket(inst, 0)}`, "-o", "source=/a"], { detached: true, stdio: "ignore" });
    const strayPid = stray.pid ?? 0;
    const exited = new Promise((resolve) => stray.on("exit", resolve));
    while (!existsSync(virtiofsdSocket(inst, 0))) await new Promise((r) => setTimeout(r, 20));
    const daemons = new VirtiofsDaemons(inst);
    await daemons.start(v, [{ location: "/a" }]);
    await exited;
    assert.equal(alive(strayPid), false, "the stray one was stopped");
    assert.ok(existsSync(virtiofsdSocket(inst, 0)), "the new one serves");
    await daemons.stop();
  });
});
