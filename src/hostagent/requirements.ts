// Readiness requirements the host agent checks over SSH before it reports `running`
// (Lima's essential, optional and final groups), each retried until it passes.
import path from "node:path";
import { mountTag } from "../cidata/mac.js";
import type { LimaYAML } from "../config/types.js";
import { logger } from "../log/logger.js";
import { disableControlMaster, shellQuote } from "../sshutil/sshutil.js";
import { executeScript } from "../sshutil/exec.js";
import { sleep } from "../util/sleep.js";

export interface Requirement {
  description: string;
  script: string;
  debugHint: string;
  fatal?: boolean;
  noMaster?: boolean;
  /** Give up this long after the boot scripts have finished (a user probe): nothing Lima runs can meet it later. */
  afterBoot?: { iid: string; graceMs: number };
}

/**
 * How long a readiness probe may keep failing once the boot scripts are done. Lima retries it for
 * 10 minutes, as long as `limactl start` waits, so the user saw a timeout instead of the
 * probe's hint; services that provisioning started get this long to come up.
 */
export const PROBE_GRACE_AFTER_BOOT_MS = 60_000;

/**
 * Exit status of a requirement script that knows it can never pass: the boot step that should
 * meet it has failed, or the boot is over. Such a requirement fails at once, without retries.
 */
export const HOPELESS_EXIT = 86;
/** Where boot.sh leaves its failure reports (`iid`, `<module>.log`, `boot.sh.log`). */
const BOOT_FAILED_DIR = "/run/lima-boot-failed";

const GUEST_LOG_HINT = "The whole boot log is \"/var/log/cloud-init-output.log\" in the guest, and \"serial.log\" in the instance directory.";

function markerTest(file: string, iid: string): string {
  return `test "$(cat ${file} 2>/dev/null)" = "${iid}"`;
}

/**
 * A requirement the boot module `step` meets: \`check\` (shell commands) is retried while the boot
 * goes on, and gives up (HOPELESS_EXIT) with the step's failure report, plus \`fix\`, once the step
 * has failed or the boot has finished without meeting it.
 */
export function bootStepCheck(check: string, iid: string, step: string, fix: string): string {
  return `#!/bin/sh
set -u
satisfied() {
${check}
}
if satisfied >/dev/null 2>&1; then exit 0; fi
hopeless() {
	# The step may have met it since the first look (boot.sh writes lima-boot-done right after
	# its last step): only a requirement still unmet is hopeless.
	if satisfied >/dev/null 2>&1; then exit 0; fi
	cat "$@" >&2 2>/dev/null
	printf '%s\n' ${shellQuote(fix)} >&2
	exit ${HOPELESS_EXIT}
}
dir=${BOOT_FAILED_DIR}
if [ "$(cat "$dir/iid" 2>/dev/null)" = "${iid}" ]; then
	for report in "$dir/${step}.log" "$dir/boot.sh.log"; do
		[ ! -f "$report" ] || hopeless "$report"
	done
fi
if [ "$(cat /run/lima-boot-done 2>/dev/null)" = "${iid}" ]; then
	echo "The boot scripts have finished without meeting it." >&2
	hopeless "$dir"/*.log
fi
exit 1
`;
}

export function essentialRequirements(config: LimaYAML, iid: string): Requirement[] {
  const reqs: Requirement[] = [
    {
      description: "ssh",
      script: "#!/bin/sh\ntrue\n",
      debugHint: "Failed to SSH into the guest.\nMake sure that the YAML field \"ssh.localPort\" is not used by other processes on the host.\nIf any private key under ~/.ssh is protected with a passphrase, you need to have ssh-agent to be running.",
      noMaster: true,
    },
  ];
  if (config.plain || (config.os ?? "Linux") !== "Linux") {
    reqs.push({ description: "Explicitly start ssh ControlMaster", script: "#!/bin/sh\ntrue\n", debugHint: "The persistent ssh ControlMaster should be started immediately." });
    return reqs;
  }
  reqs.push({
    description: "user session is ready for ssh",
    script: bootStepCheck(markerTest("/run/lima-ssh-ready", iid), iid, "07-etc-environment.sh", GUEST_LOG_HINT),
    debugHint: "The boot sequence will terminate any existing user session after updating\n/etc/environment to make sure the session includes the new values.\nTerminating the session will break the persistent SSH tunnel, so\nit must not be created until the session reset is done.",
    noMaster: true,
  });
  if (config.mountType === "reverse-sshfs" && (config.mounts ?? []).length > 0) {
    reqs.push(
      {
        description: "sshfs binary to be installed",
        script: bootStepCheck("command -v sshfs", iid, "30-install-packages.sh", `Install sshfs in the image, or choose another \`mountType\`. ${GUEST_LOG_HINT}`),
        debugHint: "The sshfs binary is not installed in the guest.",
      },
      {
        description: "fuse to allow_other as user",
        script: bootStepCheck(markerTest("/run/lima-fuse-ready", iid), iid, "35-setup-packages.sh", GUEST_LOG_HINT),
        debugHint: "/etc/fuse.conf (/etc/fuse3.conf) is not updated to contain \"user_allow_other\"",
      },
    );
  } else {
    reqs.push({ description: "Explicitly start ssh ControlMaster", script: "#!/bin/sh\ntrue\n", debugHint: "The persistent ssh ControlMaster should be started immediately." });
  }
  return reqs;
}

/** Where the boot's output is: in the guest, and the serial console log beside `yamlFile`. */
function bootLogHint(yamlFile: string): string {
  return `The whole boot log is "/var/log/cloud-init-output.log" in the guest, and ${JSON.stringify(path.join(path.dirname(yamlFile), "serial.log"))} on the host.`;
}

const NO_CONTAINERD_FIX = "set `containerd.system: false` and `containerd.user: false` if the instance needs no containers";

/** The fix when the nerdctl archive could not be installed: what to change, and where. */
function nerdctlArchiveFix(config: LimaYAML, yamlFile: string): string {
  const archive = (config.containerd?.archives ?? []).find((a) => (a.arch ?? config.arch) === config.arch);
  const which = archive ? ` (now ${JSON.stringify(archive.location)})` : "";
  return `Fix \`containerd.archives\`${which} in ${JSON.stringify(yamlFile)} to name a nerdctl-full archive for ${config.arch ?? "the instance arch"}, or ${NO_CONTAINERD_FIX}. ${bootLogHint(yamlFile)}`;
}

function containerdEnabled(config: LimaYAML): boolean {
  return !config.plain && (config.containerd?.system === true || config.containerd?.user === true);
}

/** `yamlFile`: the instance's lima.yaml, named in fixes. */
export function optionalRequirements(config: LimaYAML, iid: string, yamlFile: string): Requirement[] {
  const reqs: Requirement[] = [];
  if (containerdEnabled(config)) {
    const prefix = config.guestInstallPrefix ?? "/usr/local";
    reqs.push(
      { description: "systemd must be available", fatal: true, script: "#!/bin/sh\nset -eu\ncommand -v systemctl\n", debugHint: "systemd is required to run containerd, but does not seem to be available." },
      {
        description: "containerd binaries to be installed",
        script: bootStepCheck(`command -v nerdctl || test -x ${prefix}/bin/nerdctl`, iid, "40-install-containerd.sh", nerdctlArchiveFix(config, yamlFile)),
        debugHint: "The nerdctl binary was not installed in the guest.\nMake sure that you are using an officially supported image.\nAlso see \"/var/log/cloud-init-output.log\" in the guest.",
      },
    );
  }
  for (const probe of config.probes ?? []) {
    if ((probe.mode ?? "readiness") !== "readiness" || !probe.script) continue;
    reqs.push({
      description: probe.description ?? "user probe",
      script: probe.script,
      debugHint: probe.hint ?? "",
      afterBoot: { iid, graceMs: PROBE_GRACE_AFTER_BOOT_MS },
    });
  }
  return reqs;
}

/**
 * `yamlFile`: the instance's lima.yaml, named in fixes. With containerd on, a containerd install that
 * failed after nerdctl was unpacked (which meets the optional requirement) is reported too, once the
 * boot is over, instead of a silent READY.
 */
export function finalRequirements(iid: string, config: LimaYAML = {}, yamlFile = "lima.yaml"): Requirement[] {
  const reqs: Requirement[] = [
    {
      description: "boot scripts must have finished",
      script: bootStepCheck(markerTest("/run/lima-boot-done", iid), iid, "boot.sh", GUEST_LOG_HINT),
      debugHint: "All boot scripts, provisioning scripts, and readiness probes must\nfinish before the instance is considered \"ready\".\nCheck \"/var/log/cloud-init-output.log\" in the guest to see where the process is blocked!",
    },
  ];
  if (containerdEnabled(config)) {
    const step = "40-install-containerd.sh";
    reqs.push({
      description: "containerd install to have succeeded",
      script: bootStepCheck(`test "$(cat ${BOOT_FAILED_DIR}/iid 2>/dev/null)" != "${iid}" || test ! -e ${BOOT_FAILED_DIR}/${step}.log`, iid, step, `containerd was not installed completely: see the error above, or ${NO_CONTAINERD_FIX}. ${bootLogHint(yamlFile)}`),
      debugHint: `The boot step ${step} failed after unpacking the nerdctl archive.\nSee "/var/log/cloud-init-output.log" in the guest.`,
    });
  }
  return reqs;
}

/** The mount types the guest mounts by itself, from fstab (cloud-init `mounts:`), with `nofail`. */
const FSTAB_MOUNT_TYPES: Record<string, string> = { "9p": "9p", virtiofs: "virtiofs" };

/**
 * A 9p/virtiofs mount that is not there after the boot: `nofail` lets the guest boot without it,
 * so the user would find an empty directory. Checked once the boot scripts are done (they mount
 * what cloud-init could not); names each missing mount, why, and what to change.
 */
export function mountRequirements(config: LimaYAML, yamlFile: string): Requirement[] {
  const fstype = FSTAB_MOUNT_TYPES[config.mountType ?? ""];
  const mounts = config.mounts ?? [];
  if (fstype === undefined || mounts.length === 0 || config.plain || (config.os ?? "Linux") !== "Linux") return [];
  const others = ["reverse-sshfs", "9p", "virtiofs"].filter((t) => t !== config.mountType).map((t) => `\`mountType: ${t}\``).join(" or ");
  const noKernelSupport =
    fstype === "9p"
      ? ` has no 9p file system (Debian's cloud kernel, linux-image-cloud-amd64, has none: its generic kernel, linux-image-amd64, has it). Use a guest kernel with 9p, or set ${others} in ${JSON.stringify(yamlFile)}.`
      : ` has no virtiofs file system (CONFIG_VIRTIO_FS). Use a guest kernel with virtiofs, or set ${others} in ${JSON.stringify(yamlFile)}.`;
  const checks = mounts.map((m) => {
    const mountPoint = m.mountPoint ?? m.location;
    const what = `${JSON.stringify(m.location)} is not mounted at ${JSON.stringify(mountPoint)} in the guest (mountType: ${config.mountType}, tag ${mountTag(m.location, mountPoint)}): `;
    return `if ! mountpoint -q ${shellQuote(mountPoint)} 2>/dev/null; then
	missing=1
	if has_fs ${fstype}; then
		printf '%s\\n' ${shellQuote(`${what}mounting it failed; run \`sudo mount ${shellQuote(mountPoint)}\` in the guest to see why.`)} >&2
	else
		printf '%s%s%s\\n' ${shellQuote(`${what}the guest kernel `)} "$(uname -r)" ${shellQuote(noKernelSupport)} >&2
	fi
fi`;
  });
  const script = `#!/bin/sh
set -u
PATH="$PATH:/usr/sbin:/sbin"
has_fs() { grep -qw "$1" /proc/filesystems || modinfo "$1" >/dev/null 2>&1; }
missing=0
${checks.join("\n")}
[ "$missing" = 0 ] || exit ${HOPELESS_EXIT}
`;
  return [{ description: `${config.mountType} mounts`, script, debugHint: "The guest mounts 9p and virtiofs directories itself (/etc/fstab, written by cloud-init); a mount that fails does not stop the boot." }];
}

/** One attempt of a requirement script (ssh connect included). */
const SCRIPT_TIMEOUT_MS = 30_000;

export interface RequirementRunner {
  /** Where the guest's sshd is reached (the driver's SSH address). */
  address: string;
  port: number;
  opts: readonly string[];
  retries: number;
  intervalMs: number;
  signal: AbortSignal;
}

/** Prints the failure reports boot.sh left in this boot (failed modules and provisioning scripts), if any. */
export function bootFailureReportsScript(iid: string): string {
  return `#!/bin/sh
${markerTest(`${BOOT_FAILED_DIR}/iid`, iid)} || exit 0
for report in ${BOOT_FAILED_DIR}/*.log; do
	[ ! -f "$report" ] || cat "$report"
done
`;
}

/** The warning for those reports: where the whole output is. */
export function bootFailureWarning(reports: string): string | undefined {
  if (reports.trim() === "") return undefined;
  return `The boot scripts reported failures (the output is in "/var/log/cloud-init-output.log" in the guest):\n${reports.trim()}`;
}

/** Succeeds once this boot's boot.sh has finished, or stopped early. */
export function bootOverScript(iid: string): string {
  return `#!/bin/sh
${markerTest("/run/lima-boot-done", iid)} && exit 0
${markerTest(`${BOOT_FAILED_DIR}/iid`, iid)} && [ -f ${BOOT_FAILED_DIR}/boot.sh.log ]
`;
}

async function waitFor(req: Requirement, r: RequirementRunner): Promise<string | undefined> {
  const opts = req.noMaster ? disableControlMaster(r.opts) : r.opts;
  let last = "";
  let bootOverAt: number | undefined;
  for (let i = 0; i < r.retries && !r.signal.aborted; i++) {
    const res = await executeScript(r, opts, req.script, SCRIPT_TIMEOUT_MS, r.signal);
    if (res.code === 0) return undefined;
    last = `${res.stderr.trim()}${res.stdout.trim() ? `\n${res.stdout.trim()}` : ""}`;
    if (res.code === HOPELESS_EXIT) return `failed to satisfy the requirement ${JSON.stringify(req.description)}, and it cannot be satisfied any more:\n${last}`;
    if (req.afterBoot && bootOverAt === undefined && (await executeScript(r, opts, bootOverScript(req.afterBoot.iid), SCRIPT_TIMEOUT_MS, r.signal)).code === 0) {
      bootOverAt = Date.now();
    }
    if (req.afterBoot && bootOverAt !== undefined && Date.now() - bootOverAt >= req.afterBoot.graceMs) {
      return `failed to satisfy the requirement ${JSON.stringify(req.description)} within ${req.afterBoot.graceMs / 1000} s after the boot scripts finished:\n${last}`;
    }
    logger.debug(`requirement ${JSON.stringify(req.description)} not satisfied yet`, { error: last });
    await sleep(r.intervalMs, r.signal);
  }
  return r.signal.aborted ? "canceled" : `failed to satisfy the requirement ${JSON.stringify(req.description)}: ${last}`;
}

/** Runs one group in order; returns the error messages (a fatal failure stops the group). */
export async function runRequirements(kind: string, reqs: Requirement[], r: RequirementRunner): Promise<string[]> {
  const errors: string[] = [];
  for (const [i, req] of reqs.entries()) {
    logger.info(`Waiting for the ${kind} requirement ${i + 1} of ${reqs.length}: ${JSON.stringify(req.description)}`);
    const err = await waitFor(req, r);
    if (!err) continue;
    errors.push(`${err}\n${req.debugHint}`.trim());
    if (req.fatal || r.signal.aborted) break;
  }
  if (errors.length === 0 && reqs.length > 0) logger.info(`The ${kind} requirement${reqs.length > 1 ? "s" : ""} ${reqs.length > 1 ? "are" : "is"} satisfied`);
  return errors;
}
