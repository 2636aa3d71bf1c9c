// Looking up and configuring the driver of an instance (Lima's driverutil.CreateConfiguredDriver).
import type { Driver } from "../driver/driver.js";
import { lookupDriver } from "../driver/drivers.js";
import type { Instance } from "../store/instance.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";

export function configuredDriver(inst: Instance): Driver {
  const entry = lookupDriver(inst.vmType);
  if (!entry) throw new LimaError(`vmType ${q(inst.vmType)} is not a registered driver`);
  const driver = entry.create();
  driver.configure(inst);
  return driver;
}
