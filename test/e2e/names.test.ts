// Instance names that are not identifiers (`../outside/victim`, `nested/victim`) must never become
// paths: every command refuses them with Lima's error and leaves the directory they point at, its
// files and the processes its pid files name alone. No VM is booted.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { run, LIMA, LIMACTL, type RunResult } from "../helpers/limactl.js";
import { isAlive } from "../helpers/process.js";

const root = mkdtempSync(path.join(os.tmpdir(), "lima-names-"));
const limaHome = path.join(root, "home");
const env = { LIMA_HOME: limaHome, LIMA_TEMPLATES_PATH: "" };
const INSTANCE_YAML = "{images: [{location: /etc/profile}]}\n";
/** A victim outside $LIMA_HOME and one inside it under a directory that is not an instance. */
const VICTIMS = [
  { name: "../outside/victim", dir: path.join(root, "outside", "victim") },
  { name: "nested/victim", dir: path.join(limaHome, "nested", "victim") },
];
const fatal = (stderr: string): string => /level=fatal msg="((?:[^"\\]|\\.)*)"/.exec(stderr)?.[1] ?? "";

let sleeper: ChildProcess;

/** Runs from inside $LIMA_HOME so that a relative name would also resolve to the victims. */
function limactl(args: string[], input = ""): Promise<RunResult> {
  return run(LIMACTL, args, { env, cwd: limaHome, input, timeoutMs: 60_000 });
}

/** Every file below dir with its contents: what a command must leave exactly as it was. */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" }).sort()) {
    const file = path.join(dir, entry);
    out[entry] = statSync(file).isDirectory() ? "<dir>" : readFileSync(file, "utf8");
  }
  return out;
}

function plantVictim(dir: string, pid: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "lima.yaml"), INSTANCE_YAML);
  writeFileSync(path.join(dir, "precious.txt"), "do not touch\n");
  writeFileSync(path.join(dir, "ha.pid"), `${pid}\n`);
  writeFileSync(path.join(dir, "qemu.pid"), `${pid}\n`);
}

interface Case {
  what: string;
  args: (name: string) => string[];
  /** Lima's error for this command, when it is not the identifier error. */
  expect?: (name: string) => string;
  input?: string;
}

const identifierError = (name: string): string => `instance name \`${name}\` is not a valid identifier: identifier \`${name}\` must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$`;

const CASES: Case[] = [
  { what: "delete", args: (n) => ["delete", n] },
  { what: "delete -f", args: (n) => ["delete", "-f", n] },
  { what: "factory-reset", args: (n) => ["factory-reset", n] },
  { what: "protect", args: (n) => ["protect", n] },
  { what: "unprotect", args: (n) => ["unprotect", n] },
  { what: "shell", args: (n) => ["shell", n, "true"] },
  { what: "shell --instance", args: (n) => ["shell", "--instance", n, "true"] },
  { what: "copy from the guest", args: (n) => ["copy", `${n}:/etc/hostname`, path.join(root, "copied")] },
  { what: "copy to the guest", args: (n) => ["copy", path.join(root, "outside", "victim", "precious.txt"), `${n}:/tmp/`] },
  { what: "stop", args: (n) => ["stop", n] },
  { what: "stop -f", args: (n) => ["stop", "-f", n] },
  { what: "restart", args: (n) => ["restart", n] },
  { what: "restart -f", args: (n) => ["restart", "-f", n] },
  { what: "start --name", args: (n) => ["start", `--name=${n}`, "-"], input: INSTANCE_YAML },
  { what: "create --name", args: (n) => ["create", `--name=${n}`, "-"], input: INSTANCE_YAML },
  { what: "clone (old name)", args: (n) => ["clone", n, "copy1"] },
  { what: "rename (old name)", args: (n) => ["rename", n, "moved1"] },
  { what: "show-ssh", args: (n) => ["show-ssh", n] },
  { what: "hostagent", args: (n) => ["hostagent", "--socket", path.join(root, "ha.sock"), n] },
  // Lima matches `list` arguments against the instance directories, so a path simply matches none.
  { what: "list", args: (n) => ["list", n], expect: () => "unmatched instances" },
  { what: "list --json", args: (n) => ["list", "--json", n], expect: () => "unmatched instances" },
];

describe("instance names that are not identifiers", () => {
  before(async () => {
    sleeper = spawn("sleep", ["600"], { stdio: "ignore" });
    for (const v of VICTIMS) plantVictim(v.dir, sleeper.pid ?? 0);
    const res = await limactl(["create", "--name", "good", "-"], INSTANCE_YAML);
    assert.equal(res.code, 0, res.stderr);
  });
  after(() => {
    sleeper.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  });

  for (const victim of VICTIMS) {
    for (const c of CASES) {
      it(`${c.what} ${victim.name} is refused and touches nothing`, async () => {
        const before = contents(victim.dir);
        const res = await limactl(c.args(victim.name), c.input);
        assert.notEqual(res.code, 0, `${c.what} succeeded:\n${res.stderr}`);
        assert.ok(fatal(res.stderr).includes((c.expect ?? identifierError)(victim.name)), res.stderr);
        assert.deepEqual(contents(victim.dir), before, "the victim directory changed");
        assert.ok(isAlive(sleeper.pid ?? 0), "the process named by the victim's pid files was killed");
      });
    }
  }

  for (const victim of VICTIMS) {
    const target = victim.name.replace(/victim$/, "target");
    const targetDir = path.join(path.dirname(victim.dir), "target");
    for (const verb of ["clone", "rename"]) {
      it(`${verb} good ${target} is refused and keeps good where it is`, async () => {
        const res = await limactl([verb, "good", target]);
        assert.notEqual(res.code, 0);
        assert.ok(fatal(res.stderr).includes(identifierError(target)), res.stderr);
        assert.ok(!existsSync(targetDir), `${targetDir} was created`);
        assert.ok(existsSync(path.join(limaHome, "good", "lima.yaml")));
      });
    }
  }

  it("lima with LIMA_INSTANCE=../outside/victim is refused", async () => {
    const before = contents(VICTIMS[0]?.dir ?? "");
    const res = await run(LIMA, ["true"], { env: { ...env, LIMA_INSTANCE: "../outside/victim" }, cwd: limaHome });
    assert.notEqual(res.code, 0);
    assert.ok(fatal(res.stderr).includes(identifierError("../outside/victim")), res.stderr);
    assert.deepEqual(contents(VICTIMS[0]?.dir ?? ""), before);
  });

  // `edit` and `start` take a file when the argument is no instance name, as Lima does: a
  // directory is no YAML file, and nothing is written or killed.
  for (const victim of VICTIMS) {
    for (const verb of ["edit", "start"]) {
      it(`${verb} ${victim.name} reads it as a file and changes nothing`, async () => {
        const before = contents(victim.dir);
        const res = await limactl([verb, victim.name, "--set", ".cpus = 1"]);
        assert.notEqual(res.code, 0);
        assert.match(fatal(res.stderr), /is a directory|EISDIR/);
        assert.deepEqual(contents(victim.dir), before);
        assert.ok(isAlive(sleeper.pid ?? 0));
      });
    }
  }

  it("the valid-but-missing name still gets Lima's texts", async () => {
    const del = await limactl(["delete", "missing"]);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stderr, /Ignoring non-existent instance `missing`/);
    const list = await limactl(["list", "missing"]);
    assert.notEqual(list.code, 0);
    assert.match(list.stderr, /No instance matching missing found\./);
    const shell = await limactl(["shell", "missing"]);
    assert.equal(fatal(shell.stderr), "instance `missing` does not exist, run `limactl create missing` to create a new instance");
    const ssh = await limactl(["show-ssh", "missing"]);
    assert.equal(fatal(ssh.stderr), "instance `missing` does not exist, run `limactl create missing` to create a new instance");
  });

  it("list refuses an instance directory whose name is not an identifier, as Lima does", async () => {
    const odd = path.join(limaHome, "odd name");
    mkdirSync(odd);
    writeFileSync(path.join(odd, "lima.yaml"), INSTANCE_YAML);
    try {
      const res = await limactl(["list"]);
      assert.notEqual(res.code, 0);
      assert.equal(fatal(res.stderr), `unable to load instance odd name: ${identifierError("odd name")}`);
    } finally {
      rmSync(odd, { recursive: true, force: true });
    }
  });
});
