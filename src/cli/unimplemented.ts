// The warnings of `create` and `start` about lima.yaml fields lima-ts does not act on yet.
import { loadNetworkModes, unimplementedFields, type LimaYAML } from "../config/index.js";
import { configuredDriver } from "../instance/driverutil.js";
import { logger } from "../log/logger.js";
import { limaHome } from "../store/dirnames.js";
import type { Instance } from "../store/instance.js";

/** The config as the driver will run it (mountType and friends filled in), without touching `inst`. */
function effectiveConfig(inst: Instance): LimaYAML {
  const copy: Instance = { ...inst, config: structuredClone(inst.config ?? {}) };
  try {
    configuredDriver(copy);
  } catch {
    // An unusable driver config is reported by start itself; warn about what was written.
  }
  return copy.config ?? {};
}

export function warnUnimplementedFields(inst: Instance): void {
  const messages = unimplementedFields(effectiveConfig(inst), { networkModes: loadNetworkModes(limaHome()) });
  for (const message of messages) logger.warn(message);
}
