// Start-to-shell time of the same test guest through each driver, one after the other:
// the internal QEMU driver, the same driver as the external program `lima-driver-qemu`, and
// `lima-driver-libvirt` (when virsh is installed). Measured: `limactl start` invoked → the
// first `limactl shell INSTANCE true` that succeeds. Run: npm run bench:drivers
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureGuestImage, GUEST_TEMPLATE } from "../test/helpers/guest.js";
import { LIMACTL } from "../test/helpers/limactl.js";

interface Variant {
  label: string;
  createArgs: string[];
  env: NodeJS.ProcessEnv;
}

const VARIANTS: Variant[] = [
  { label: "qemu (internal)", createArgs: [], env: {} },
  { label: "qemu (external lima-driver-qemu)", createArgs: [], env: { LIMA_TS_EXTERNAL_DRIVERS: "qemu" } },
  { label: "libvirt (lima-driver-libvirt)", createArgs: ["--vm-type=libvirt"], env: {} },
];

const hasVirsh = spawnSync("virsh", ["--version"], { stdio: "ignore" }).status === 0;

function limactl(env: NodeJS.ProcessEnv, args: string[]): void {
  const res = spawnSync(LIMACTL, args, { env, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`limactl ${args.join(" ")} failed:\n${res.stderr}`);
}

function startToShell(variant: Variant, index: number): number {
  const limaHome = mkdtempSync(path.join(os.tmpdir(), "lima-bench-drv-"));
  const env = { ...process.env, ...variant.env, LIMA_HOME: limaHome };
  const name = `drv${index}`;
  try {
    limactl(env, ["create", "--tty=false", `--name=${name}`, "--set=.containerd.system=false | .containerd.user=false", ...variant.createArgs, GUEST_TEMPLATE]);
    const t0 = Date.now();
    limactl(env, ["start", "--tty=false", name]);
    limactl(env, ["shell", name, "true"]);
    return Date.now() - t0;
  } finally {
    spawnSync(LIMACTL, ["delete", "--force", name], { env, stdio: "ignore" });
    rmSync(limaHome, { recursive: true, force: true });
  }
}

ensureGuestImage();
const rows: string[] = [];
for (const [i, variant] of VARIANTS.entries()) {
  if (variant.createArgs.includes("--vm-type=libvirt") && !hasVirsh) {
    rows.push(`| ${variant.label} | skipped: virsh is not installed |`);
    continue;
  }
  const ms = startToShell(variant, i);
  rows.push(`| ${variant.label} | ${(ms / 1000).toFixed(1)} s |`);
  console.error(`${variant.label}: ${(ms / 1000).toFixed(1)} s`);
}
console.log("| driver | start → first shell |\n|---|---|");
console.log(rows.join("\n"));
