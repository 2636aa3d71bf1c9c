// One real guest for `limactl copy` placement (rsync vs. scp), `shell --sync` and `shell --reconnect`.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createAndStart, ensureGuestImage, expectedGuestUser, GUEST_TEMPLATE } from "../helpers/guest.js";
import { LIMACTL, LimaHome } from "../helpers/limactl.js";
import { isAlive, waitUntil } from "../helpers/process.js";

const home = new LimaHome();
const NAME = "shellcopy";
const instDir = path.join(home.dir, NAME);
const GUEST_HOME = expectedGuestUser().home;
const PROMPT_MS = 120_000;
/** `ssh -O exit` only asks: the master finishes its exit right after the answer. */
const MASTER_EXIT_MS = 10_000;
const tmp = mkdtempSync(path.join(os.tmpdir(), "lima-shellcopy-"));

/** Every path under `root`, relative, sorted; directories end in `/`. */
function hostTree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(root, rel))) {
      const child = rel ? `${rel}/${name}` : name;
      if (statSync(path.join(root, child)).isDirectory()) {
        out.push(`${child}/`);
        walk(child);
      } else out.push(child);
    }
  };
  walk("");
  return out.sort();
}

async function guest(script: string): Promise<string> {
  const res = await home.limactl(["shell", NAME, "sh", "-c", script]);
  assert.equal(res.code, 0, res.stderr);
  return res.stdout;
}

async function guestTree(root: string): Promise<string[]> {
  const out = await guest(`cd ${root} && find . -mindepth 1 \\( -type d -printf '%P/\\n' \\) -o -printf '%P\\n'`);
  return out.split("\n").filter(Boolean).sort();
}

async function copy(...args: string[]): Promise<void> {
  const res = await home.limactl(["copy", ...args]);
  assert.equal(res.code, 0, `copy ${args.join(" ")}: ${res.stderr}`);
}

/** Where `copy -r proj …` lands, as scp puts it: existing directories get `proj/` inside, new paths become the copy. */
const EXPECTED_TREE = [
  "existing/", "existing/proj/", "existing/proj/a.txt", "existing/proj/sub/", "existing/proj/sub/b.txt",
  "file.txt",
  "filedir/", "filedir/a.txt",
  "new/", "new/a.txt", "new/sub/", "new/sub/b.txt",
  "slashes/", "slashes/proj/", "slashes/proj/a.txt", "slashes/proj/sub/", "slashes/proj/sub/b.txt",
];

interface Interactive {
  output: () => string;
  /** Waits for the pattern in the output after offset `from`; resolves with the offset past the match. */
  waitFor: (pattern: RegExp, from?: number) => Promise<number>;
  send: (keys: string) => void;
  exit: Promise<number>;
}

/** Runs limactl on a real pseudo-terminal (util-linux `script`), for the prompt. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Interactive {
  const command = [LIMACTL, ...args].map((a) => `'${a.replace(/'/g, `'"'"'`)}'`).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], { env: { ...process.env, ...home.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), PROMPT_MS * 2);
  const exit = new Promise<number>((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    }),
  );
  return {
    output: () => out,
    waitFor: async (pattern, from = 0) => {
      const deadline = Date.now() + PROMPT_MS;
      for (;;) {
        const m = pattern.exec(out.slice(from));
        if (m) return from + m.index + m[0].length;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${out}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    send: (keys) => child.stdin.write(keys),
    exit: exit.finally(() => child.stdin.end()),
  };
}

function masterPid(): number {
  const res = spawnSync("ssh", ["-F", path.join(instDir, "ssh.config"), "-O", "check", `lima-${NAME}`], { encoding: "utf8" });
  return Number(/pid=(\d+)/.exec(res.stderr)?.[1] ?? 0);
}

/** A host project for --sync: `f` says "orig", `gone.txt` is to be deleted by the guest command. */
function project(name: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "f"), "orig\n");
  writeFileSync(path.join(dir, "gone.txt"), "x\n");
  return dir;
}

const CHANGE = "echo changed > f; touch new; rm gone.txt";

describe("shell and copy against a real guest", { timeout: 60 * 60_000 }, () => {
  before(async () => {
    ensureGuestImage();
    await createAndStart(home, NAME, GUEST_TEMPLATE);
  });
  after(async () => {
    await home.limactl(["delete", "-f", NAME]);
    home.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("copy -r with rsync lands exactly where scp lands, both ways", async () => {
    const src = path.join(tmp, "src", "proj");
    mkdirSync(path.join(src, "sub"), { recursive: true });
    writeFileSync(path.join(src, "a.txt"), "a\n");
    writeFileSync(path.join(src, "sub", "b.txt"), "b\n");
    await guest("mkdir -p /tmp/gsrc/proj/sub && echo a > /tmp/gsrc/proj/a.txt && echo b > /tmp/gsrc/proj/sub/b.txt");
    const trees: Record<string, string[]> = {};
    for (const backend of ["scp", "rsync"]) {
      const up = `/tmp/up-${backend}`;
      await guest(`mkdir -p ${up}/existing ${up}/slashes ${up}/filedir`);
      await copy(`--backend=${backend}`, "-r", src, `${NAME}:${up}/new`);
      await copy(`--backend=${backend}`, "-r", src, `${NAME}:${up}/existing`);
      await copy(`--backend=${backend}`, "-r", `${src}/`, `${NAME}:${up}/slashes/`);
      await copy(`--backend=${backend}`, path.join(src, "a.txt"), `${NAME}:${up}/file.txt`);
      await copy(`--backend=${backend}`, "-r", path.join(src, "a.txt"), `${NAME}:${up}/filedir`);
      trees[`up-${backend}`] = await guestTree(up);

      const down = path.join(tmp, `down-${backend}`);
      for (const d of ["existing", "slashes", "filedir"]) mkdirSync(path.join(down, d), { recursive: true });
      await copy(`--backend=${backend}`, "-r", `${NAME}:/tmp/gsrc/proj`, path.join(down, "new"));
      await copy(`--backend=${backend}`, "-r", `${NAME}:/tmp/gsrc/proj`, path.join(down, "existing"));
      await copy(`--backend=${backend}`, "-r", `${NAME}:/tmp/gsrc/proj/`, `${path.join(down, "slashes")}/`);
      await copy(`--backend=${backend}`, `${NAME}:/tmp/gsrc/proj/a.txt`, path.join(down, "file.txt"));
      await copy(`--backend=${backend}`, "-r", `${NAME}:/tmp/gsrc/proj/a.txt`, path.join(down, "filedir"));
      trees[`down-${backend}`] = hostTree(down);
    }
    assert.deepEqual(trees["up-scp"], EXPECTED_TREE);
    assert.deepEqual(trees["down-scp"], EXPECTED_TREE);
    assert.deepEqual(trees["up-rsync"], trees["up-scp"]);
    assert.deepEqual(trees["down-rsync"], trees["down-scp"]);
    assert.equal(readFileSync(path.join(tmp, "down-rsync", "new", "sub", "b.txt"), "utf8"), "b\n");
    assert.equal(statSync(path.join(tmp, "down-rsync", "new", "sub", "b.txt")).uid, os.userInfo().uid, "files copied to the host belong to the host user");
  });

  it("shell --sync without a terminal runs in the guest copy and copies the changes back", async () => {
    const dir = project("plain");
    const res = await home.limactl(["shell", "--sync", dir, NAME, "sh", "-c", `pwd; cat f; ${CHANGE}`]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `${GUEST_HOME}${dir}\norig\n`);
    assert.match(res.stderr, new RegExp(`Syncing host current directory\\(${dir}\\) to guest instance\\.\\.\\.`));
    assert.match(res.stderr, /Successfully synced back the changes to host\./);
    assert.equal(readFileSync(path.join(dir, "f"), "utf8"), "changed\n");
    assert.ok(existsSync(path.join(dir, "new")));
    assert.ok(!existsSync(path.join(dir, "gone.txt")));
    for (const f of ["f", "new"]) assert.equal(statSync(path.join(dir, f)).uid, os.userInfo().uid, `${f} belongs to the host user`);
    assert.equal(await guest(`test -e ${GUEST_HOME}${dir} && echo kept || echo removed`), "removed\n");

    const yes = await home.limactl(["shell", "--yes", "--sync", dir, NAME, "sh", "-c", "echo again > f"]);
    assert.equal(yes.code, 0, yes.stderr);
    assert.equal(readFileSync(path.join(dir, "f"), "utf8"), "again\n");
  });

  it("shell --sync: a failing command copies nothing back and keeps the guest copy", async () => {
    const dir = project("failing");
    const res = await home.limactl(["shell", "--sync", dir, NAME, "sh", "-c", `${CHANGE}; exit 3`]);
    assert.equal(res.code, 3, res.stderr);
    assert.equal(readFileSync(path.join(dir, "f"), "utf8"), "orig\n");
    assert.equal(await guest(`cat ${GUEST_HOME}${dir}/f`), "changed\n");
  });

  it("shell --sync on a terminal asks: No keeps the host as it was", async () => {
    const dir = project("tty-no");
    const term = onTerminal(["shell", "--sync", dir, NAME, "sh", "-c", CHANGE]);
    await term.waitFor(/Accept the changes\? \(added: 1, deleted: 1, modified: 1, metadata: \d\)/);
    assert.match(term.output(), /> Yes[^]*No[^]*View the changed contents/);
    term.send("\x1b[B\r");
    assert.equal(await term.exit, 0, term.output());
    assert.match(term.output(), /Skipping syncing back the changes to host\./);
    assert.deepEqual(hostTree(dir), ["f", "gone.txt"]);
    assert.equal(readFileSync(path.join(dir, "f"), "utf8"), "orig\n");
    assert.equal(await guest(`test -e ${GUEST_HOME}${dir} && echo kept || echo removed`), "removed\n");
  });

  it("shell --sync on a terminal: View shows the diff in $PAGER, then Yes copies back", async () => {
    const dir = project("tty-view");
    const term = onTerminal(["shell", "--sync", dir, NAME, "sh", "-c", CHANGE], { PAGER: "cat" });
    await term.waitFor(/Accept the changes\?/);
    term.send("\x1b[B\x1b[B\r");
    const paged = await term.waitFor(/--- detailed diff ---/);
    await term.waitFor(/Accept the changes\?/, paged);
    assert.match(term.output(), /--- rsync dry-run statistics ---\S*\r?\nadded: 1, deleted: 1, modified: 1/);
    assert.match(term.output(), /-orig[^]*\+changed/);
    term.send("\r");
    assert.equal(await term.exit, 0, term.output());
    assert.match(term.output(), /Successfully synced back the changes to host\./);
    assert.deepEqual(hostTree(dir), ["f", "new"]);
  });

  it("shell --reconnect ends the SSH master, and recovers from a killed one", async () => {
    await guest("true");
    const before = masterPid();
    assert.ok(before > 0, "a ControlMaster runs");
    const res = await home.limactl(["shell", "--reconnect", NAME, "echo", "ok"]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, "ok\n");
    assert.match(res.stderr, /Exiting ssh session for the instance `shellcopy`/);
    await waitUntil("the old master to exit", () => !isAlive(before), MASTER_EXIT_MS);
    const after = masterPid();
    assert.ok(after > 0 && after !== before, "a new master serves the instance");

    process.kill(after, "SIGKILL");
    assert.ok(existsSync(path.join(instDir, "ssh.sock")), "a killed master leaves its socket");
    const stale = await home.limactl(["shell", "--reconnect", NAME, "echo", "ok"]);
    assert.equal(stale.code, 0, stale.stderr);
    assert.equal(stale.stdout, "ok\n");
    assert.match(stale.stderr, /Removed stale ssh control socket for the instance `shellcopy` after the master had already exited/);
  });
});
