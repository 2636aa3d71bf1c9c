// Readiness requirements the host agent checks over SSH before it reports `running`
// (Lima's essential, optional and final groups), each retried until it passes.
import type { LimaYAML } from "../config/types.js";
import { logger } from "../log/logger.js";
import { disableControlMaster } from "../sshutil/sshutil.js";
import { executeScript } from "../sshutil/exec.js";

export interface Requirement {
  description: string;
  script: string;
  debugHint: string;
  fatal?: boolean;
  noMaster?: boolean;
}

function markerMatches(file: string, iid: string): string {
  return `#!/bin/sh\nset -eu\ntest "$(cat ${file} 2>/dev/null)" = "${iid}"\n`;
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
    script: markerMatches("/run/lima-ssh-ready", iid),
    debugHint: "The boot sequence will terminate any existing user session after updating\n/etc/environment to make sure the session includes the new values.\nTerminating the session will break the persistent SSH tunnel, so\nit must not be created until the session reset is done.",
    noMaster: true,
  });
  if (config.mountType === "reverse-sshfs" && (config.mounts ?? []).length > 0) {
    reqs.push(
      { description: "sshfs binary to be installed", script: "#!/bin/sh\nset -eu\ncommand -v sshfs\n", debugHint: "The sshfs binary is not installed in the guest." },
      { description: "fuse to allow_other as user", script: markerMatches("/run/lima-fuse-ready", iid), debugHint: "/etc/fuse.conf (/etc/fuse3.conf) is not updated to contain \"user_allow_other\"" },
    );
  } else {
    reqs.push({ description: "Explicitly start ssh ControlMaster", script: "#!/bin/sh\ntrue\n", debugHint: "The persistent ssh ControlMaster should be started immediately." });
  }
  return reqs;
}

export function optionalRequirements(config: LimaYAML): Requirement[] {
  const reqs: Requirement[] = [];
  if (!config.plain && (config.containerd?.system || config.containerd?.user)) {
    reqs.push(
      { description: "systemd must be available", fatal: true, script: "#!/bin/sh\nset -eu\ncommand -v systemctl\n", debugHint: "systemd is required to run containerd, but does not seem to be available." },
      {
        description: "containerd binaries to be installed",
        script: `#!/bin/sh\nset -eu\ncommand -v nerdctl || test -x ${config.guestInstallPrefix ?? "/usr/local"}/bin/nerdctl\n`,
        debugHint: "The nerdctl binary was not installed in the guest.\nMake sure that you are using an officially supported image.\nAlso see \"/var/log/cloud-init-output.log\" in the guest.",
      },
    );
  }
  for (const probe of config.probes ?? []) {
    if ((probe.mode ?? "readiness") !== "readiness" || !probe.script) continue;
    reqs.push({ description: probe.description ?? "user probe", script: probe.script, debugHint: probe.hint ?? "" });
  }
  return reqs;
}

export function finalRequirements(iid: string): Requirement[] {
  return [
    {
      description: "boot scripts must have finished",
      script: markerMatches("/run/lima-boot-done", iid),
      debugHint: "All boot scripts, provisioning scripts, and readiness probes must\nfinish before the instance is considered \"ready\".\nCheck \"/var/log/cloud-init-output.log\" in the guest to see where the process is blocked!",
    },
  ];
}

export interface RequirementRunner {
  port: number;
  opts: readonly string[];
  retries: number;
  intervalMs: number;
  signal: AbortSignal;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

async function waitFor(req: Requirement, r: RequirementRunner): Promise<string | undefined> {
  const opts = req.noMaster ? disableControlMaster(r.opts) : r.opts;
  let last = "";
  for (let i = 0; i < r.retries && !r.signal.aborted; i++) {
    const res = await executeScript(r.port, opts, req.script, 30_000);
    if (res.code === 0) return undefined;
    last = `${res.stderr.trim()}${res.stdout.trim() ? `\n${res.stdout.trim()}` : ""}`;
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
