// `limactl delete`: refuse protected or running instances unless forced, then remove the directory.
import { rmSync } from "node:fs";
import type { Instance } from "../store/instance.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { configuredDriver } from "./driverutil.js";
import { stopForcibly } from "./stop.js";

export async function deleteInstance(inst: Instance, force: boolean): Promise<void> {
  if (inst.protected) throw new LimaError("instance is protected to prohibit accidental removal (Hint: use `limactl unprotect`)");
  if (!force && inst.status !== "Stopped") throw new LimaError(`expected status ${q("Stopped")}, got ${q(inst.status)}`);
  await stopForcibly(inst);
  if (!inst.errors?.length) {
    try {
      await (await configuredDriver(inst)).driver.delete();
    } catch (err) {
      if (!force) throw err;
    }
  }
  rmSync(inst.dir, { recursive: true, force: true });
}
