// `limactl delete`: refuse protected or running instances unless forced, then remove the directory.
import { rmSync } from "node:fs";
import type { Instance } from "../store/instance.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { withConfiguredDriver } from "./driverutil.js";
import { stopForcibly } from "./stop.js";

export async function deleteInstance(inst: Instance, force: boolean): Promise<void> {
  if (inst.protected) throw new LimaError("instance is protected to prohibit accidental removal (Hint: use `limactl unprotect`)");
  if (!force && inst.status !== "Stopped") throw new LimaError(`expected status ${q("Stopped")}, got ${q(inst.status)}`);
  await stopForcibly(inst);
  if (!inst.errors?.length) {
    try {
      // Everything of the instance was killed just above: it is stopped now, whatever inspect said.
      await withConfiguredDriver({ ...inst, status: "Stopped" }, ({ driver }) => driver.delete());
    } catch (err) {
      if (!force) throw err;
    }
  }
  rmSync(inst.dir, { recursive: true, force: true });
}
