// Boots real guests under QEMU through `bin/limactl` and checks what a user sees: shell, copy,
// stop/start, and recovery from processes killed at awkward moments.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureGuestImage, expectedGuestUser, GUEST_TEMPLATE } from "../helpers/guest.js";
import { LIMACTL, LimaHome } from "../helpers/limactl.js";
import { McpSession } from "../helpers/mcp.js";
import { isAlive, pidFromFile, waitUntil } from "../helpers/process.js";

const home = new LimaHome();
const NAME = "e2e";
const dir = path.join(home.dir, NAME);
const BOOT_MS = 15 * 60_000;

const pidOf = (file: string): number => pidFromFile(path.join(dir, file));

async function status(): Promise<string> {
  return (await home.limactl(["ls", "--format", "{{.Status}}", NAME])).stdout.trim();
}

async function start(): Promise<void> {
  const res = await home.limactl(["start", NAME], { timeoutMs: BOOT_MS });
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stderr, /READY\. Run `limactl shell e2e` to open the shell\./);
}

const runtimeFiles = (): string[] => readdirSync(dir).filter((f) => /\.(pid|sock)$/.test(f));

describe("a real VM", { timeout: 60 * 60_000 }, () => {
  before(async () => {
    ensureGuestImage();
    const res = await home.limactl(["create", "--name", NAME, GUEST_TEMPLATE]);
    assert.equal(res.code, 0, res.stderr);
  });
  after(async () => {
    await home.limactl(["delete", "-f", NAME]);
    home.cleanup();
  });

  it("starts, and list shows it running with its SSH address", async () => {
    await start();
    const json = JSON.parse((await home.limactl(["ls", "--json", NAME])).stdout) as { status: string; sshLocalPort: number; hostAgentPID: number; driverPID: number };
    assert.equal(json.status, "Running");
    assert.ok(json.sshLocalPort > 0 && json.hostAgentPID > 0 && json.driverPID > 0);
    const table = (await home.limactl(["ls"])).stdout;
    assert.match(table, new RegExp(`^e2e +Running +127\\.0\\.0\\.1:${json.sshLocalPort} `, "m"));
    const events = readFileSync(path.join(dir, "ha.stdout.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { status: Record<string, unknown> });
    assert.deepEqual(events[0]?.status, { sshLocalPort: json.sshLocalPort });
    assert.deepEqual(events.at(-1)?.status, { running: true, sshLocalPort: json.sshLocalPort });
    const info = (await home.limactl(["shell", NAME, "cat", "/run/lima-boot-done"])).stdout.trim();
    assert.match(info, /^iid-\d+$/);
  });

  it("shell runs commands as the guest user, passing stdin and exit codes", async () => {
    const who = await home.limactl(["shell", NAME, "sh", "-c", "id -un; id -u; echo $HOME; pwd; sudo -n true && echo sudo-ok"]);
    assert.equal(who.code, 0, who.stderr);
    const user = expectedGuestUser();
    assert.deepEqual(who.stdout.trim().split("\n"), [user.name, String(user.uid), user.home, user.home, "sudo-ok"]);
    assert.equal((await home.limactl(["shell", NAME, "false"])).code, 1);
    assert.equal((await home.limactl(["shell", NAME, "sh", "-c", "exit 42"])).code, 42);
    assert.equal((await home.limactl(["shell", NAME, "tr", "a-z", "A-Z"], { input: "hello\n" })).stdout, "HELLO\n");
    assert.equal((await home.limactl(["shell", "--workdir", "/tmp", NAME, "pwd"])).stdout, "/tmp\n");
    const bad = await home.limactl(["shell", "--workdir", "/nonexistent", NAME, "pwd"]);
    assert.notEqual(bad.code, 0);
    assert.equal((await home.lima(["uname", "-n"], { env: { LIMA_INSTANCE: NAME } })).stdout, "lima-e2e\n");
    assert.equal((await home.limactl(["shell", NAME, "sh", "-c", 'echo "$FOO"'], { env: { FOO: "bar" } })).stdout, "\n");
    assert.equal((await home.limactl(["shell", "--preserve-env", NAME, "sh", "-c", 'echo "$FOO"'], { env: { FOO: "bar" } })).stdout, "bar\n");
  });

  it("copies files both ways with scp and rsync", async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), "lima-copy-"));
    writeFileSync(path.join(tmp, "up.txt"), "from the host\n");
    for (const backend of ["scp", "rsync"]) {
      const up = await home.limactl(["copy", "--backend", backend, path.join(tmp, "up.txt"), `${NAME}:/tmp/up-${backend}.txt`]);
      assert.equal(up.code, 0, up.stderr);
      assert.equal((await home.limactl(["shell", NAME, "cat", `/tmp/up-${backend}.txt`])).stdout, "from the host\n");
      const down = await home.limactl(["copy", "--backend", backend, `${NAME}:/etc/hostname`, path.join(tmp, `hostname-${backend}`)]);
      assert.equal(down.code, 0, down.stderr);
      assert.equal(readFileSync(path.join(tmp, `hostname-${backend}`), "utf8"), "lima-e2e\n");
    }
    const rdir = await home.limactl(["copy", "-r", `${NAME}:/etc/apt`, tmp]);
    assert.equal(rdir.code, 0, rdir.stderr);
    // The copy holds exactly the guest's tree, not a level deeper or shallower.
    const guestTree = await home.limactl(["shell", NAME, "sh", "-c", "cd /etc && find apt | sort"]);
    assert.equal(guestTree.code, 0, guestTree.stderr);
    const hostTree = spawnSync("sh", ["-c", "find apt | sort"], { cwd: tmp, encoding: "utf8" }).stdout;
    assert.ok(guestTree.stdout.split("\n").length > 3, guestTree.stdout);
    assert.equal(hostTree, guestTree.stdout);
  });

  it("limactl mcp serve: initialize, tools/list, a shell command and file tools in the guest", async () => {
    const started = Date.now();
    const mcp = new McpSession([NAME], home.env);
    try {
      const init = await mcp.initialize("2025-06-18");
      console.log(`# mcp serve ${NAME}: spawn to initialize reply ${Date.now() - started} ms`);
      assert.equal(init.protocolVersion, "2025-06-18");
      assert.equal((init.serverInfo as { name: string }).name, "lima");
      const tools = ((await mcp.request("tools/list")).result?.tools as { name: string }[]).map((t) => t.name);
      assert.deepEqual(tools, ["list_directory", "read_file", "write_file", "glob", "search_file_content", "run_shell_command"]);
      const uname = await mcp.callTool("run_shell_command", { directory: "/tmp", command: ["uname", "-a"] });
      assert.equal(uname.structuredContent?.exit_code, 0, JSON.stringify(uname));
      assert.match(String(uname.structuredContent?.stdout), /^Linux lima-e2e .* x86_64 GNU\/Linux\n$/);
      const pwd = await mcp.callTool("run_shell_command", { directory: "/etc", command: ["sh", "-c", "pwd; exit 3"] });
      assert.deepEqual(pwd.structuredContent, { stdout: "/etc\n", stderr: "", error: "exit status 3", exit_code: 3 });
      // The file tools go over SFTP to the guest: the guest's own files, not the host's.
      const hostname = await mcp.callTool("read_file", { path: "/etc/hostname" });
      assert.deepEqual(hostname.structuredContent, { content: "lima-e2e\n" });
      const written = await mcp.callTool("write_file", { path: "/tmp/mcp/dir/note.txt", content: "from MCP\n" });
      assert.equal(written.isError, undefined, JSON.stringify(written));
      assert.equal((await home.limactl(["shell", NAME, "cat", "/tmp/mcp/dir/note.txt"])).stdout, "from MCP\n");
      const listed = await mcp.callTool("list_directory", { path: "/tmp/mcp/dir" });
      assert.deepEqual((listed.structuredContent?.entries as { name: string; size: number }[]).map((e) => [e.name, e.size]), [["note.txt", 9]]);
      const globbed = await mcp.callTool("glob", { pattern: "*/*.txt", path: "/tmp/mcp" });
      assert.deepEqual(globbed.structuredContent, { matches: ["/tmp/mcp/dir/note.txt"] });
      const refused = await mcp.callTool("read_file", { path: "etc/hostname" });
      assert.deepEqual(refused, { content: [{ type: "text", text: "expected an absolute path, got a relative path: `etc/hostname`" }], isError: true });
      const missing = await mcp.callTool("read_file", { path: "/etc/no-such-file" });
      assert.equal(missing.content[0]?.text, "file does not exist");
    } finally {
      assert.equal(await mcp.close(), 0, mcp.stderr);
    }
  });

  it("stops gracefully, and a file written before survives the next start", async () => {
    assert.equal((await home.limactl(["shell", NAME, "sh", "-c", "echo kept > ~/kept.txt && sync"])).code, 0);
    const stop = await home.limactl(["stop", NAME], { timeoutMs: 5 * 60_000 });
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await status(), "Stopped");
    assert.deepEqual(runtimeFiles(), []);
    const last = readFileSync(path.join(dir, "ha.stdout.log"), "utf8").trim().split("\n").at(-1) ?? "";
    assert.deepEqual((JSON.parse(last) as { status: unknown }).status, { exiting: true });
  });

  it("two concurrent starts: one wins; killing limactl start mid-boot leaves the VM booting", async () => {
    const first = spawn(LIMACTL, ["start", NAME], { env: { ...process.env, ...home.env }, stdio: "ignore" });
    await waitUntil("the host agent to start", () => pidOf("ha.pid") > 0, 60_000);
    const second = await home.limactl(["start", NAME]);
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, /instance `e2e` is being started by another process \(pid \d+\)/);
    first.kill("SIGKILL");
    // Each try runs limactl: poll slowly so the checks do not slow the booting guest down.
    await waitUntil("the guest to answer", async () => (await home.limactl(["shell", NAME, "true"])).code === 0, BOOT_MS, 500);
    assert.equal((await home.limactl(["shell", NAME, "cat", "kept.txt"])).stdout, "kept\n");
    assert.equal(await status(), "Running");
  });

  it("kill -9 of QEMU: the host agent exits and the instance is Stopped", async () => {
    const qemu = pidOf("qemu.pid");
    const ha = pidOf("ha.pid");
    process.kill(qemu, "SIGKILL");
    await waitUntil("the host agent to exit", () => !isAlive(ha), 60_000);
    assert.equal(await status(), "Stopped");
    const last = readFileSync(path.join(dir, "ha.stdout.log"), "utf8").trim().split("\n").at(-1) ?? "";
    assert.equal((JSON.parse(last) as { status: { exiting?: boolean } }).status.exiting, true);
  });

  it("kill -9 of the host agent: list says Broken, stop -f recovers", async () => {
    await start();
    const ha = pidOf("ha.pid");
    const qemu = pidOf("qemu.pid");
    process.kill(ha, "SIGKILL");
    await waitUntil("the host agent to die", () => !isAlive(ha), 10_000);
    const broken = JSON.parse((await home.limactl(["ls", "--json", NAME])).stdout) as { status: string; errors: string[] };
    assert.equal(broken.status, "Broken");
    assert.match(broken.errors.join("\n"), /qemu driver is running but host agent is not/);
    const stop = await home.limactl(["stop", "-f", NAME]);
    assert.equal(stop.code, 0, stop.stderr);
    await waitUntil("QEMU to die", () => !isAlive(qemu), 10_000);
    assert.equal(await status(), "Stopped");
    assert.deepEqual(runtimeFiles(), []);
  });

  it("delete -f of a running instance leaves nothing behind", async () => {
    await start();
    const qemu = pidOf("qemu.pid");
    const ha = pidOf("ha.pid");
    const res = await home.limactl(["delete", "-f", NAME]);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(!existsSync(dir));
    await waitUntil("processes to die", () => !isAlive(qemu) && !isAlive(ha), 10_000);
    assert.equal((await home.limactl(["ls", "-q"])).stdout, "");
  });
});
