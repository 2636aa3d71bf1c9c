// Start-to-shell time of a lima-ts instance, by phase, next to the same guest booted by a
// hand-written QEMU command line (same kernel, disk, cidata.iso). Run: npm run bench
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { macAddress } from "../src/config/index.js";
import { ensureGuestImage, GUEST_TEMPLATE } from "../test/helpers/guest.js";
import { LIMACTL } from "../test/helpers/limactl.js";

const limaHome = mkdtempSync(path.join(os.tmpdir(), "lima-bench-"));
const env = { ...process.env, LIMA_HOME: limaHome };
const name = "bench";
const inst = path.join(limaHome, name);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

function limactl(args: string[]): void {
  const res = spawnSync(LIMACTL, args, { env, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`limactl ${args.join(" ")} failed:\n${res.stderr}`);
}

function mtime(file: string): number | undefined {
  try {
    return statSync(path.join(inst, file)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Polls the instance directory and logs while `limactl start` runs, noting when each phase ends. */
async function timedStart(): Promise<Record<string, number>> {
  // The previous run's log would otherwise answer "SSH up" at once.
  rmSync(path.join(inst, "ha.stderr.log"), { force: true });
  const t0 = Date.now();
  const marks: Record<string, number> = {};
  const child = spawn(LIMACTL, ["start", name], { env, stdio: "ignore" });
  const exited = new Promise<number>((r) => child.on("exit", (c) => r(c ?? 1)));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  while (!done) {
    const log = existsSync(path.join(inst, "ha.stderr.log")) ? readFileSync(path.join(inst, "ha.stderr.log"), "utf8") : "";
    if (!marks.ssh && log.includes("essential requirement 2 of")) marks.ssh = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  if ((await exited) !== 0) throw new Error("limactl start failed");
  marks.ready = Date.now() - t0;
  marks.cidata = (mtime("cidata.iso") ?? t0) - t0;
  marks.qemu = (mtime("qemu.pid") ?? t0) - t0;
  const shellStart = Date.now();
  limactl(["shell", name, "true"]);
  marks.shell = Date.now() - shellStart;
  return marks;
}

async function waitForSSH(port: number, key: string, user: string, check: string, t0: number): Promise<number> {
  for (;;) {
    const res = spawnSync("ssh", ["-i", key, "-p", String(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", `${user}@127.0.0.1`, check], { stdio: "ignore" });
    if (res.status === 0) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The same guest with a hand-written QEMU command: no host agent, no limactl. */
async function handWrittenBoot(): Promise<{ ssh: number; bootDone: number }> {
  const work = mkdtempSync(path.join(os.tmpdir(), "lima-bench-qemu-"));
  copyFileSync(path.join(inst, "disk"), path.join(work, "disk"));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const args = [
    "-m", "1024", "-cpu", "max", "-machine", "q35,vmport=off", "-accel", "tcg,thread=multi,tb-size=512", "-smp", "2",
    "-drive", `file=${path.join(work, "disk")},if=virtio,discard=on`,
    "-drive", `file=${path.join(inst, "cidata.iso")},if=none,id=cd,format=raw,readonly=on`, "-device", "virtio-scsi", "-device", "scsi-cd,drive=cd",
    "-kernel", path.join(inst, "kernel"), "-initrd", path.join(inst, "initrd"), "-append", readFileSync(path.join(inst, "kernel.cmdline"), "utf8"),
    "-netdev", `user,id=net0,net=192.168.5.0/24,dhcpstart=192.168.5.15,hostfwd=tcp:127.0.0.1:${port}-:22`,
    "-device", `virtio-net-pci,netdev=net0,mac=${macAddress(inst)}`, "-device", "virtio-rng-pci",
    "-display", "none", "-vga", "none", "-serial", `file:${path.join(work, "serial.log")}`,
  ];
  const t0 = Date.now();
  const qemu = spawn("qemu-system-x86_64", args, { stdio: "ignore" });
  const key = path.join(limaHome, "_config", "user");
  const user = "lima";
  const ssh = await waitForSSH(port, key, user, "true", t0);
  const bootDone = await waitForSSH(port, key, user, "test -s /run/lima-boot-done", t0);
  qemu.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
  return { ssh, bootDone };
}


ensureGuestImage();
try {
  let t = Date.now();
  limactl(["create", "--name", name, GUEST_TEMPLATE]);
  const create = Date.now() - t;
  const cold = await timedStart();
  t = Date.now();
  limactl(["stop", name]);
  const stop = Date.now() - t;
  const warm = await timedStart();
  limactl(["stop", name]);
  const hand = await handWrittenBoot();
  console.log("lima-ts start-to-shell, by phase (elapsed since `limactl start` began):");
  console.log(`  create (image copy + disk)       ${seconds(create)}`);
  for (const [label, m] of [["first start", cold], ["second start", warm]] as const) {
    console.log(`  ${label}:`);
    console.log(`    cidata.iso written             ${seconds(m.cidata ?? 0)}`);
    console.log(`    QEMU started                   ${seconds(m.qemu ?? 0)}`);
    console.log(`    SSH up                         ${seconds(m.ssh ?? 0)}`);
    console.log(`    requirements done (READY)      ${seconds(m.ready ?? 0)}`);
    console.log(`    then \`limactl shell true\`      ${seconds(m.shell ?? 0)}`);
  }
  console.log(`  graceful stop                    ${seconds(stop)}`);
  console.log("hand-written QEMU, same kernel, cidata and disk (as left by the runs above, so compare with the second start):");
  console.log(`    SSH up                         ${seconds(hand.ssh)}`);
  console.log(`    boot scripts done              ${seconds(hand.bootDone)}`);
} finally {
  spawnSync(LIMACTL, ["delete", "-f", name], { env, stdio: "ignore" });
  rmSync(limaHome, { recursive: true, force: true });
}
