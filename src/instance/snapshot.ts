// Snapshots of an instance through its driver (Lima: pkg/snapshot). QEMU saves them in the disk
// images: with QMP while the VM runs, with `qemu-img snapshot` while it is stopped.
import type { Driver } from "../driver/driver.js";
import { logger } from "../log/logger.js";
import { controlMasterExists, exitControlMaster, removeStaleControlMaster } from "../sshutil/controlmaster.js";
import type { Instance } from "../store/instance.js";
import { errorMessage, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { withConfiguredDriver } from "./driverutil.js";

/** Runs `use` with the instance's configured driver, with Lima's wrapping of a driver that cannot be set up. */
export async function withSnapshotDriver<T>(inst: Instance, use: (driver: Driver) => Promise<T>): Promise<T> {
  let configured = false;
  try {
    return await withConfiguredDriver(inst, async ({ driver }) => {
      configured = true;
      return use(driver);
    });
  } catch (err) {
    if (configured) throw err;
    throw new LimaError(`failed to create driver instance: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * The tags of a snapshot list (`limactl snapshot list --quiet`): column 2 of every row after the
 * header `ID TAG VM SIZE DATE VM CLOCK ICOUNT`, whose second field must be `TAG`.
 */
export function snapshotTags(list: string): string[] {
  const tags: string[] = [];
  list.split("\n").forEach((line, i) => {
    const fields = line.trim().split(/\s+/).filter((f) => f !== "");
    if (i === 0 && fields.length > 1 && fields[1] !== "TAG") throw new LimaError(`unknown header: ${line}`);
    if (i === 0 || line === "") return;
    tags.push(fields[1] ?? "");
  });
  return tags;
}

/**
 * Restores a snapshot. In a running VM the guest's TCP state goes back in time, so the SSH
 * ControlMaster's connection is dead though its process lives on: every `limactl shell` through
 * it would hang. Ending it makes the next ssh open a fresh connection.
 */
export async function applySnapshot(inst: Instance, tag: string): Promise<void> {
  await withSnapshotDriver(inst, (driver) => driver.applySnapshot(tag));
  if (inst.status !== "Running" || !controlMasterExists(inst.dir)) return;
  logger.info(`Exiting the ssh session of the instance ${q(inst.name)}: its connection predates the snapshot`);
  try {
    exitControlMaster(inst);
  } catch (err) {
    if (!(await removeStaleControlMaster(inst.dir))) logger.warn(`Failed to exit the ssh session of the instance ${q(inst.name)}`, { error: errorMessage(err) });
  }
}
