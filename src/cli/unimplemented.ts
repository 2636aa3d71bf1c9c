// The warnings of `create` and `start` about lima.yaml fields lima-ts does not act on yet.
import { unimplementedFields, type LimaYAML } from "../config/index.js";
import { fillDriverConfig } from "../instance/driverutil.js";
import { logger } from "../log/logger.js";
import * as filenames from "../store/filenames.js";
import type { Instance } from "../store/instance.js";
import path from "node:path";

/** The config as the driver will run it (mountType and friends filled in), without touching `inst`. */
async function effectiveConfig(inst: Instance): Promise<LimaYAML> {
  const config = structuredClone(inst.config ?? {});
  try {
    await fillDriverConfig(config, path.join(inst.dir, filenames.LimaYAML));
  } catch {
    // An unusable driver config is reported by start itself; warn about what was written.
  }
  return config;
}

export async function warnUnimplementedFields(inst: Instance): Promise<void> {
  const messages = unimplementedFields(await effectiveConfig(inst));
  for (const message of messages) logger.warn(message);
}
