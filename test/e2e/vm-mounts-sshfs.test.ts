// reverse-sshfs mounts in a real guest: the shared mount checks, then what is particular to them:
// the guest sees fuse.sshfs mounts, and `limactl stop` leaves no ssh or sftp-server behind.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { it } from "node:test";
import type { LimaHome } from "../helpers/limactl.js";
import { describeMounts, type MountSuite } from "../helpers/mountsuite.js";

/** Host processes (pid: argv) that serve the instance's mounts: its ssh commands and sftp-servers on its directories. */
function mountProcesses(instDir: string, dirs: readonly string[]): Map<number, string[]> {
  const found = new Map<number, string[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").slice(0, -1);
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    const exe = path.basename(argv[0] ?? "");
    const ours = argv.some((a) => a.includes(instDir) || dirs.includes(a) || dirs.some((d) => a.includes(`:${d}`)));
    if ((exe === "ssh" || exe === "sftp-server") && ours) found.set(Number(entry), argv);
  }
  return found;
}

async function guestMountTable(home: LimaHome, name: string): Promise<string> {
  const res = await home.limactl(["shell", "--workdir", "/", name, "cat", "/proc/self/mounts"]);
  assert.equal(res.code, 0, res.stderr);
  return res.stdout;
}

function sshfsChecks({ home, name, rw, ro }: MountSuite): void {
  const instDir = path.join(home.dir, name);

  it("the guest has both directories as fuse.sshfs mounts, the read-only one mounted ro", async () => {
    const lines = (await guestMountTable(home, name)).split("\n").filter((l) => l.includes(" fuse.sshfs "));
    const escaped = (p: string): string => p.replaceAll(" ", "\\040");
    const rwLine = lines.find((l) => l.split(" ")[1] === escaped(rw));
    const roLine = lines.find((l) => l.split(" ")[1] === escaped(ro));
    assert.ok(rwLine, `no sshfs mount on ${rw}:\n${lines.join("\n")}`);
    assert.ok(roLine, `no sshfs mount on ${ro}:\n${lines.join("\n")}`);
    assert.match(rwLine.split(" ")[3] ?? "", /^rw,/);
    assert.match(roLine.split(" ")[3] ?? "", /^ro,/);
  });

  it("`limactl stop` leaves no ssh or sftp-server of the instance on the host", async () => {
    const before = mountProcesses(instDir, [rw, ro]);
    const servers = [...before.values()].filter((argv) => path.basename(argv[0] ?? "") === "sftp-server");
    assert.equal(servers.length, 2, `one sftp-server per mount while running: ${JSON.stringify([...before.values()])}`);
    const stopped = await home.limactl(["stop", name], { timeoutMs: 5 * 60_000 });
    assert.equal(stopped.code, 0, stopped.stderr);
    const left = mountProcesses(instDir, [rw, ro]);
    assert.deepEqual([...left.values()], [], "processes left after stop");
  });

  it("a mount that fails is an error at start (degraded), and the other mounts still work", async () => {
    const edited = await home.limactl(["edit", "--tty=false", name, "--set", '.mounts[1].sshfs.sftpDriver = "go"']);
    assert.equal(edited.code, 0, edited.stderr);
    const started = await home.limactl(["start", name], { timeoutMs: 15 * 60_000 });
    assert.equal(started.code, 1, started.stderr);
    assert.match(started.stderr, /failed to mount reverse sshfs for .*ro dir.*sshfs\.sftpDriver` has an unknown value \\?"go\\?"/);
    assert.match(started.stderr, /DEGRADED/);
    const res = await home.limactl(["shell", "--workdir", "/", name, "cat", path.join(rw, "from host.txt")]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, "hello from the host\n");
  });
}

describeMounts({ mountType: "reverse-sshfs", name: "sshfs", inotify: true, moreChecks: sshfsChecks });
