// Deprecated `provision: [{mode: ansible, playbook: ...}]`: after READY the host runs
// ansible-playbook against an inventory that reaches the guest through ssh.config.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { logger } from "../log/logger.js";
import * as filenames from "../store/filenames.js";
import type { Instance } from "../store/instance.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";

const ANSIBLE_PLAYBOOK = "ansible-playbook";

/** Lima's text (Go's exec error), then what to do: the instance itself is running. */
function notInstalled(inventory: string, playbook: string): LimaError {
  return new LimaError(
    `exec: "${ANSIBLE_PLAYBOOK}": executable file not found in $PATH (the deprecated \`provision\` mode \`ansible\` runs it on the host: install Ansible, or remove that entry and run \`${ANSIBLE_PLAYBOOK} -i ${inventory} ${playbook}\` yourself; the instance is running)`,
  );
}

export function inventoryYAML(inst: Instance): string {
  const host = {
    ansible_connection: "ssh",
    ansible_host: `lima-${inst.name}`,
    ansible_ssh_common_args: `-F ${path.join(inst.dir, filenames.SSHConfig)}`,
  };
  return YAML.stringify({ lima: { hosts: { [inst.name]: host } } });
}

export async function runAnsiblePlaybooks(inst: Instance): Promise<void> {
  const playbooks = (inst.config?.provision ?? []).filter((p) => p.mode === "ansible" && p.playbook).map((p) => p.playbook as string);
  if (playbooks.length === 0) return;
  const inventory = path.join(inst.dir, filenames.AnsibleInventoryYAML);
  writeFileSync(inventory, inventoryYAML(inst));
  const paramEnv = Object.fromEntries(Object.entries(inst.config?.param ?? {}).map(([k, v]) => [`PARAM_${k}`, v]));
  for (const playbook of playbooks) {
    logger.info(`Waiting for ansible playbook ${q(playbook)}`);
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(ANSIBLE_PLAYBOOK, ["-i", inventory, playbook], { stdio: "inherit", env: { ...process.env, ...paramEnv } });
      child.on("error", (err: NodeJS.ErrnoException) => reject(err.code === "ENOENT" ? notInstalled(inventory, playbook) : err));
      child.on("exit", (c) => resolve(c ?? 1));
    });
    if (code !== 0) throw new LimaError(`ansible-playbook ${JSON.stringify(playbook)} failed with status ${code}`);
  }
}
