// limactl's own start-up cost, as ratios measured in one run (npm run bench:cli):
//   --version                vs. `node -e 0`
//   ls over 100 instances    vs. `node -e 0`  (also without the filled-config cache, for reference)
//   shell NAME true          vs. the same login-shell command over plain `ssh -F ssh.config`,
//                                sharing the host agent's ControlMaster socket as Lima's ssh does
// Uses hyperfine when installed (Debian: apt-get install hyperfine), else its own loop.
// The shell ratio needs a running instance: `--instance NAME` names one in $LIMA_HOME; without it
// the bench starts one from template:local-debian-12 under the machine-wide VM lock, and deletes it.
// Options: --runs N (default 20), --instance NAME, --no-shell.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { remoteScript, workdirCommand } from "../src/cli/commands/shell.js";
import { CONFIG_CACHE_FILE } from "../src/store/configcache.js";
import type { Instance } from "../src/store/instance.js";
import { shellQuote } from "../src/sshutil/sshutil.js";
import { ensureGuestImage, GUEST_TEMPLATE } from "../test/helpers/guest.js";
import { LIMACTL } from "../test/helpers/limactl.js";

const INSTANCES = 100;
const WARMUP_RUNS = 3;
const VM_LOCK = "/tmp/lima-ts-vm.lock";
const GOALS = { version: 1.2, ls: 1.6, shell: 1.15 } as const;

interface Options {
  runs: number;
  instance?: string;
  shell: boolean;
  /** Internal: run only the shell measurement (under the VM lock) and write it to this file. */
  shellPhaseOut?: string;
}

interface Stat {
  mean: number;
  stddev: number;
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { runs: 20, shell: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--runs") opts.runs = Number.parseInt(value(), 10);
    else if (arg === "--instance") opts.instance = value();
    else if (arg === "--no-shell") opts.shell = false;
    else if (arg === "--shell-phase-out") opts.shellPhaseOut = value();
    else throw new Error(`unknown option ${arg} (options: --runs N, --instance NAME, --no-shell)`);
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 2) throw new Error("--runs must be at least 2");
  return opts;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, input?: string): string {
  const res = spawnSync(cmd, args, { env, input, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${res.status}):\n${res.stderr}`);
  return res.stdout;
}

function hasHyperfine(): boolean {
  return spawnSync("hyperfine", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * Mean and standard deviation (seconds) of each command, all measured in one go. `prepare`, a
 * command, runs untimed before every run.
 */
function measure(commands: string[][], env: NodeJS.ProcessEnv, runs: number, prepare?: string[]): Stat[] {
  return hasHyperfine() ? measureWithHyperfine(commands, env, runs, prepare) : measureWithLoop(commands, env, runs, prepare);
}

function measureWithHyperfine(commands: string[][], env: NodeJS.ProcessEnv, runs: number, prepare?: string[]): Stat[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lima-bench-hf-"));
  try {
    const out = path.join(dir, "result.json");
    const line = (argv: string[]): string => argv.map(shellQuote).join(" ");
    const prepareArgs = prepare === undefined ? [] : ["--prepare", line(prepare)];
    run("hyperfine", ["-N", "--warmup", String(WARMUP_RUNS), "--runs", String(runs), ...prepareArgs, "--export-json", out, ...commands.map(line)], env);
    const result = JSON.parse(readFileSync(out, "utf8")) as { results: { mean: number; stddev: number }[] };
    return result.results.map((r) => ({ mean: r.mean, stddev: r.stddev }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function measureWithLoop(commands: string[][], env: NodeJS.ProcessEnv, runs: number, prepare?: string[]): Stat[] {
  const once = ([cmd = "", ...args]: string[]): number => {
    if (prepare !== undefined) run(prepare[0] ?? "", prepare.slice(1), env);
    const t0 = process.hrtime.bigint();
    const res = spawnSync(cmd, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${res.stderr.toString()}`);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  return commands.map((argv) => {
    for (let i = 0; i < WARMUP_RUNS; i++) once(argv);
    const times = Array.from({ length: runs }, () => once(argv));
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const stddev = Math.sqrt(times.reduce((a, t) => a + (t - mean) ** 2, 0) / (times.length - 1));
    return { mean, stddev };
  });
}

/** a/b with its error propagated from both standard deviations. */
function ratio(a: Stat, b: Stat): Stat {
  const mean = a.mean / b.mean;
  return { mean, stddev: mean * Math.sqrt((a.stddev / a.mean) ** 2 + (b.stddev / b.mean) ** 2) };
}

/**
 * $LIMA_HOME with `count` stopped instances as `limactl create` leaves them: one created for real
 * from the local Debian template, the others copies of its files (the disk as a sparse file).
 */
function createInstances(count: number): string {
  const home = mkdtempSync(path.join(os.tmpdir(), "lima-bench-cli-"));
  const image = path.join(home, "image.raw");
  writeFileSync(image, Buffer.alloc(1024 * 1024));
  const env = { ...process.env, LIMA_HOME: home };
  const first = "i000";
  run(LIMACTL, ["create", "--tty=false", "--name", first, "--set", `.images = [{"location": "${image}", "arch": "x86_64"}]`, GUEST_TEMPLATE], env);
  const files = readdirSync(path.join(home, first)).filter((f) => f !== "disk");
  const diskBytes = BigInt(run("stat", ["-c", "%s", path.join(home, first, "disk")]).trim());
  for (let i = 1; i < count; i++) {
    const dir = path.join(home, `i${String(i).padStart(3, "0")}`);
    mkdirSync(dir, { mode: 0o700 });
    for (const f of files) writeFileSync(path.join(dir, f), readFileSync(path.join(home, first, f)));
    run("truncate", ["-s", String(diskBytes), path.join(dir, "disk")]);
  }
  return home;
}

interface ShellResult {
  limactl: Stat;
  ssh: Stat;
}

/** `limactl shell NAME true` and the login-shell command it runs, over plain ssh with ssh.config. */
function measureShell(name: string, env: NodeJS.ProcessEnv, runs: number): ShellResult {
  const inst = JSON.parse(run(LIMACTL, ["ls", "--format", "json", name], env)) as Instance;
  if (inst.status !== "Running") throw new Error(`instance ${name} is ${inst.status}, not Running`);
  const shellPath = inst.config?.user?.shell ?? '"$SHELL"';
  const script = remoteScript(workdirCommand(inst, undefined, process.cwd(), os.homedir()), shellPath, ["true"], []);
  const plain = ["ssh", "-F", path.join(inst.dir, "ssh.config"), "-o", "LogLevel=ERROR", `lima-${name}`, "--", script];
  const [limactl, ssh] = measure([[LIMACTL, "shell", name, "true"], plain], env, runs);
  if (!limactl || !ssh) throw new Error("shell measurement missing");
  return { limactl, ssh };
}

/** Starts an instance of the test guest, measures shell, deletes it. Runs under the VM lock. */
function shellPhase(opts: Options, out: string): void {
  ensureGuestImage();
  const home = mkdtempSync(path.join(os.tmpdir(), "lima-bench-vm-"));
  const env = { ...process.env, LIMA_HOME: home };
  const name = "bench";
  try {
    run(LIMACTL, ["create", "--tty=false", "--name", name, GUEST_TEMPLATE], env);
    run(LIMACTL, ["start", "--tty=false", name], env);
    writeFileSync(out, JSON.stringify(measureShell(name, env, opts.runs)));
  } finally {
    spawnSync(LIMACTL, ["delete", "-f", name], { env, stdio: "ignore" });
    rmSync(home, { recursive: true, force: true });
  }
}

/** The shell measurement: on the named instance, or on one started under the VM lock. */
function shellRatio(opts: Options): ShellResult {
  if (opts.instance !== undefined) return measureShell(opts.instance, process.env, opts.runs);
  const dir = mkdtempSync(path.join(os.tmpdir(), "lima-bench-shell-"));
  try {
    const out = path.join(dir, "shell.json");
    const self = fileURLToPath(import.meta.url);
    const args = [VM_LOCK, process.execPath, ...process.execArgv, self, "--runs", String(opts.runs), "--shell-phase-out", out];
    const res = spawnSync("flock", args, { stdio: "inherit" });
    if (res.status !== 0) throw new Error("the shell measurement failed");
    return JSON.parse(readFileSync(out, "utf8")) as ShellResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (s: Stat): string => `${(s.mean * 1000).toFixed(1)} ± ${(s.stddev * 1000).toFixed(1)} ms`;

function row(label: string, a: Stat, b: Stat, goal?: number): string {
  const r = ratio(a, b);
  const verdict = goal === undefined ? "" : r.mean <= goal ? `  ≤ ${goal} ok` : `  > ${goal} MISSED`;
  return `${label.padEnd(30)} ${ms(a).padStart(22)} ${ms(b).padStart(22)}   ${r.mean.toFixed(2)} ± ${r.stddev.toFixed(2)}${verdict}`;
}

function main(): void {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.shellPhaseOut !== undefined) {
    shellPhase(opts, opts.shellPhaseOut);
    return;
  }
  console.error(`measuring with ${hasHyperfine() ? "hyperfine" : "a spawn loop (install hyperfine for steadier numbers)"}, ${opts.runs} runs each`);
  const home = createInstances(INSTANCES);
  try {
    const env = { ...process.env, LIMA_HOME: home };
    run(LIMACTL, ["ls"], env); // writes the filled-config caches, as any earlier ls would have
    const [node, version, ls] = measure([["node", "-e", "0"], [LIMACTL, "--version"], [LIMACTL, "ls"]], env, opts.runs);
    const uncached = measureUncachedList(env, opts.runs);
    const shell = opts.shell ? shellRatio(opts) : undefined;
    if (!node || !version || !ls) throw new Error("measurement missing");
    console.log(`${"".padEnd(30)} ${"limactl".padStart(22)} ${"baseline".padStart(22)}   ratio`);
    console.log(row("--version / node -e 0", version, node, GOALS.version));
    console.log(row(`ls (${INSTANCES} instances) / node -e 0`, ls, node, GOALS.ls));
    console.log(row("  same, no cache / node -e 0", uncached, node));
    if (shell) {
      console.log(row("shell true / plain ssh", shell.limactl, shell.ssh, GOALS.shell));
      // Any Node program pays node's own start-up on top of ssh: the best ratio a Node limactl can reach.
      const floor = { mean: shell.ssh.mean + node.mean, stddev: Math.hypot(shell.ssh.stddev, node.stddev) };
      console.log(row("  plain ssh + node -e 0 / plain ssh", floor, shell.ssh));
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** `ls` as on the first run after a build: every instance's lima.yaml parsed and filled. */
function measureUncachedList(env: NodeJS.ProcessEnv, runs: number): Stat {
  const dropCaches = ["sh", "-c", `rm -f "$LIMA_HOME"/*/${CONFIG_CACHE_FILE}`];
  const [stat] = measure([[LIMACTL, "ls"]], env, Math.max(2, Math.ceil(runs / 4)), dropCaches);
  if (!stat) throw new Error("measurement missing");
  return stat;
}

main();
