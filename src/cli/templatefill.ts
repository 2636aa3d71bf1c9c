// Filling a template with defaults the way `template copy --fill`, `template yq` and
// `validate --fill` do: embed everything, load as `$LIMA_HOME/<name>.yaml`, resolve the driver.
import path from "node:path";
import { loadYAML, marshalConfig, validate } from "../config/index.js";
import type { LimaYAML } from "../config/types.js";
import { driverNames } from "../driver/drivers.js";
import { fillDriverConfig } from "../instance/driverutil.js";
import { limaHome } from "../store/dirnames.js";
import { embed, readLocator } from "../templates/index.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";

export interface FilledTemplate {
  name: string;
  config: LimaYAML;
  pseudoPath: string;
}

export async function loadTemplateFilled(locator: string, options: { defaultBase: boolean; validate: boolean }): Promise<FilledTemplate> {
  const tmpl = await readLocator(locator);
  if (!tmpl.name) throw new LimaError(`can't determine instance name from template locator ${q(locator)}`);
  const embedded = await embed(tmpl, { embedAll: true, defaultBase: options.defaultBase });
  const pseudoPath = path.join(limaHome(), `${tmpl.name}.yaml`);
  const loaded = loadYAML(Buffer.from(embedded.bytes).toString("utf8"), pseudoPath, { warn: true });
  await fillDriverConfig(loaded.config, pseudoPath);
  if (options.validate) {
    try {
      validate(loaded.config, { warn: true, lineOf: loaded.lineOf, filePath: tmpl.locator, registeredDrivers: driverNames() });
    } catch (err) {
      throw new LimaError(`failed to validate YAML file ${q(locator)}: ${(err as Error).message}`);
    }
  }
  return { name: tmpl.name, config: loaded.config, pseudoPath };
}

export function filledYAML(config: LimaYAML): string {
  return marshalConfig(config);
}
