// Additional-disk locks (`$LIMA_HOME/_disks/<disk>/in_use_by` -> instance dir) through the real
// `bin/limactl`: the host agent frees them when it shuts down or fails to start, `rename` moves
// them, and no instance ever frees a lock another instance holds. A stand-in for
// qemu-system-x86_64 answers the probes and "runs" as a sleeping process, so no VM boots.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { LIMACTL, LimaHome } from "../helpers/limactl.js";
import { pidFromFile, waitUntil } from "../helpers/process.js";

const home = new LimaHome();
const diskDir = path.join(home.dir, "_disks", "data");
const lockFile = path.join(diskDir, "in_use_by");
const fakeQemu = path.join(home.dir, "fake-qemu");
const HOST_AGENT_MS = 60_000;

/**
 * Answers --version and the help probes; at launch writes -pidfile and serves QMP on the
 * `char-qmp` socket (greeting, a reply to every command, exit on system_powerdown), or fails
 * when FAKE_QEMU_FAIL is set.
 */
const FAKE_QEMU = `#!/bin/sh
case "$*" in
  --version) echo "QEMU emulator version 9.2.0"; exit 0 ;;
  *"-accel help"*) printf 'Accelerators supported in QEMU binary:\\ntcg\\n'; exit 0 ;;
  *help*) exit 0 ;;
esac
[ -n "\${FAKE_QEMU_FAIL:-}" ] && { echo "fake qemu: refusing to start" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    -pidfile) pidfile=$2 ;;
    socket,id=char-qmp,path=*) qmp=\${1#socket,id=char-qmp,path=}; qmp=\${qmp%%,*} ;;
  esac
  shift
done
echo $$ > "$pidfile"
exec python3 -c '
import json, socket, sys
server = socket.socket(socket.AF_UNIX)
server.bind(sys.argv[1])
server.listen()
while True:
    conn, _ = server.accept()
    conn.sendall(b"{\\"QMP\\": {\\"version\\": {}, \\"capabilities\\": []}}\\r\\n")
    for line in conn.makefile():
        conn.sendall(b"{\\"return\\": {}}\\r\\n")
        if json.loads(line).get("execute") == "system_powerdown":
            sys.exit(0)
    conn.close()
' "$qmp"
`;
const qemuEnv = { QEMU_SYSTEM_X86_64: fakeQemu, LIMA_QEMU_ACCEL: "tcg" };

const instDir = (name: string): string => path.join(home.dir, name);

function lockOwner(): string | undefined {
  try {
    return readlinkSync(lockFile);
  } catch {
    return undefined;
  }
}

function lockFor(name: string): void {
  rmSync(lockFile, { force: true });
  symlinkSync(instDir(name), lockFile);
}

interface HostAgentRun {
  pid: number;
  stdout: () => string;
  exited: Promise<{ code: number; stdout: string; stderr: string }>;
}

/** `limactl hostagent NAME`, as `limactl start` runs it. */
function hostAgent(name: string, env: NodeJS.ProcessEnv = {}): HostAgentRun {
  const child = spawn(LIMACTL, ["hostagent", "--socket", path.join(instDir(name), "ha.sock"), name], {
    env: { ...process.env, ...home.env, ...qemuEnv, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), HOST_AGENT_MS);
  const exited = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    }),
  );
  return { pid: child.pid ?? 0, stdout: () => stdout, exited };
}

async function createWithDisk(name: string): Promise<void> {
  const res = await home.limactl(["create", "--name", name, "-"], { input: "{images: [{location: /etc/profile}], additionalDisks: [data]}\n" });
  assert.equal(res.code, 0, res.stderr);
}

describe("additional-disk locks", () => {
  before(async () => {
    writeFileSync(fakeQemu, FAKE_QEMU, { mode: 0o755 });
    mkdirSync(diskDir, { recursive: true });
    writeFileSync(path.join(diskDir, "datadisk"), "");
    await createWithDisk("a");
    await createWithDisk("b");
  });
  after(() => {
    // A stand-in left running by a failed test must not outlive it.
    for (const name of ["a", "b", "c", "d"]) {
      const pid = pidFromFile(path.join(instDir(name), "qemu.pid"));
      try {
        if (pid > 0) process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    home.cleanup();
  });

  it("the host agent locks the disk while the VM runs and frees it when it shuts down", async () => {
    const ha = hostAgent("a");
    // The first event follows the VM's start; from then on SIGINT means "shut down".
    await waitUntil("the first event", () => ha.stdout().includes("sshLocalPort"), HOST_AGENT_MS);
    assert.equal(lockOwner(), instDir("a"));
    process.kill(ha.pid, "SIGINT");
    const res = await ha.exited;
    assert.equal(lockOwner(), undefined, res.stderr);
    assert.match(res.stderr, /"msg":"Unmounting disk `data`"/);
    const last = JSON.parse(res.stdout.trim().split("\n").at(-1) ?? "{}") as { status: { exiting?: boolean } };
    assert.equal(last.status.exiting, true);
  });

  it("a start that fails frees the locks of its own instance", async () => {
    lockFor("a");
    const res = await hostAgent("a", { FAKE_QEMU_FAIL: "1" }).exited;
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /QEMU exited before writing/);
    assert.equal(lockOwner(), undefined);
  });

  it("a start refused because another instance holds the disk leaves that lock alone", async () => {
    lockFor("a");
    const res = await hostAgent("b").exited;
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /could not attach disk `data`: in use by instance `a`/);
    assert.equal(lockOwner(), instDir("a"));
  });

  it("stop -f and delete -f free their own locks, never another instance's", async () => {
    lockFor("a");
    const stopB = await home.limactl(["stop", "-f", "b"]);
    assert.equal(stopB.code, 0, stopB.stderr);
    assert.equal(lockOwner(), instDir("a"));
    const stopA = await home.limactl(["stop", "-f", "a"]);
    assert.equal(stopA.code, 0, stopA.stderr);
    assert.equal(lockOwner(), undefined);
  });

  it("rename moves the lock to the new instance directory", async () => {
    lockFor("a");
    const res = await home.limactl(["rename", "a", "c"]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(lockOwner(), instDir("c"));
    assert.ok(readFileSync(path.join(instDir("c"), "lima.yaml"), "utf8").includes("additionalDisks"));
    const del = await home.limactl(["delete", "-f", "c"]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(lockOwner(), undefined);
  });

  it("rename leaves a lock held by another instance where it is", async () => {
    lockFor("a");
    const res = await home.limactl(["rename", "b", "d"]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(lockOwner(), instDir("a"));
  });
});
