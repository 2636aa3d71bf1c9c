// Looking up and configuring the driver of an instance (Lima: driverutil.CreateConfiguredDriver).
// Callers get the driver, its Info and the instance as the driver configured it, and never learn
// whether the driver runs in this process or as an external program.
import type { LimaYAML } from "../config/types.js";
import type { Driver, DriverInfo } from "../driver/driver.js";
import { driverNames, lookupDriver } from "../driver/drivers.js";
import { stopDriverServers } from "../driver/external/process.js";
import type { Instance } from "../store/instance.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";

export interface ConfiguredDriver {
  driver: Driver;
  info: DriverInfo;
  /** The instance after the driver's defaults (an external driver sends back a new record). */
  instance: Instance;
}

function driverEntry(vmType: string) {
  const entry = lookupDriver(vmType);
  if (!entry) throw new LimaError(`vmType ${q(vmType)} is not a registered driver (known: ${driverNames().join(", ")})`);
  return entry;
}

/**
 * Configures the instance's driver. `sshLocalPort` is the host agent's chosen port: drivers whose
 * port is their own (`features.staticSSHPort`) keep theirs.
 */
export async function configuredDriver(inst: Instance, sshLocalPort?: number): Promise<ConfiguredDriver> {
  const driver = driverEntry(inst.vmType).create();
  // An external driver's server starts with the first Configure: Info can only be asked after it.
  let instance = await driver.configure(inst);
  const info = await driver.info();
  if (sshLocalPort !== undefined && !info.features.staticSSHPort) instance = await driver.configure({ ...instance, sshLocalPort });
  return { driver, info, instance };
}

/**
 * Fills driver defaults into a config without an instance and without starting anything: only
 * internal drivers can (Lima's protocol has no such call), external ones leave the config as is.
 */
export async function fillDriverConfig(config: LimaYAML, filePath: string): Promise<void> {
  const entry = lookupDriver(config.vmType ?? "");
  await entry?.create().fillConfig?.(config, filePath);
}

/** Lima: driverutil.InspectStatus. "" means: decide from the pid files. */
export async function inspectStatus(inst: Instance): Promise<string> {
  const entry = lookupDriver(inst.vmType);
  if (!entry) throw new LimaError(`unknown or unsupported VM type: ${inst.vmType}`);
  return entry.create().inspectStatus(inst);
}

/**
 * Runs `use` with the instance's configured driver. An external driver's server started for it
 * is stopped afterwards (Lima: after create, prepare and delete) unless the instance runs: its
 * host agent owns that server.
 */
export async function withConfiguredDriver<T>(inst: Instance, use: (configured: ConfiguredDriver) => Promise<T>): Promise<T> {
  try {
    return await use(await configuredDriver(inst));
  } finally {
    if (inst.status !== "Running") await stopDriverServers(inst.dir);
  }
}
