// `instance.Create`: validate a template and materialise it as $LIMA_HOME/<name>. The directory
// is assembled under a hidden temporary name and renamed into place, so a crash never leaves a
// half-written instance that would block the next `create`.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { writeCloudConfig } from "../cidata/index.js";
import { loadYAML, validate } from "../config/index.js";
import { driverNames } from "../driver/drivers.js";
import { instanceDir, limaHome } from "../store/dirnames.js";
import * as filenames from "../store/filenames.js";
import type { Instance } from "../store/instance.js";
import { isProcessAlive } from "../store/pidfile.js";
import { inspect } from "../store/store.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { VERSION_WITH_V } from "../version.js";
import { withConfiguredDriver } from "./driverutil.js";

const STAGING_PREFIX = ".creating-";

/** Rejects names whose socket paths would not fit in UNIX_PATH_MAX. */
export function checkSocketPathLength(name: string): void {
  const sock = path.join(instanceDir(name), filenames.LongestSock);
  if (sock.length >= filenames.UNIX_PATH_MAX) {
    throw new LimaError(`instance name ${q(name)} too long: ${q(sock)} must be less than UNIX_PATH_MAX=${filenames.UNIX_PATH_MAX} characters, but is ${sock.length}`);
  }
}

/** Removes staging directories left behind by a create that was killed. */
function removeStaleStaging(home: string): void {
  let entries: string[];
  try {
    entries = readdirSync(home);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(STAGING_PREFIX)) continue;
    const pid = Number(entry.split("-").pop());
    if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) continue;
    rmSync(path.join(home, entry), { recursive: true, force: true });
  }
}

export interface CreateOptions {
  /** Save the rejected YAML as ./lima.REJECTED.yaml (interactive mode). */
  saveRejected?: boolean;
}

export async function createInstance(name: string, templateText: string, options: CreateOptions = {}): Promise<Instance> {
  checkSocketPathLength(name);
  const dir = instanceDir(name);
  if (existsSync(dir)) throw new LimaError(`instance ${q(name)} already exists (${q(dir)})`);
  const file = path.join(dir, filenames.LimaYAML);
  try {
    const loaded = loadYAML(templateText, file, { warn: true });
    validate(loaded.config, { warn: true, lineOf: loaded.lineOf, filePath: file, registeredDrivers: driverNames() });
  } catch (err) {
    if (options.saveRejected) writeFileSync("lima.REJECTED.yaml", templateText);
    throw err;
  }
  const home = limaHome();
  mkdirSync(home, { recursive: true, mode: 0o700 });
  removeStaleStaging(home);
  const staging = path.join(home, `${STAGING_PREFIX}${name}-${process.pid}`);
  mkdirSync(staging, { mode: 0o700 });
  try {
    writeFileSync(path.join(staging, filenames.LimaYAML), templateText, { mode: 0o644 });
    writeFileSync(path.join(staging, filenames.LimaVersion), VERSION_WITH_V, { mode: 0o444 });
    if (existsSync(dir)) throw new LimaError(`instance ${q(name)} already exists (${q(dir)})`);
    renameSync(staging, dir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  try {
    const inst = await inspect(name);
    await withConfiguredDriver(inst, async ({ driver }) => {
      await driver.validate();
      await writeCloudConfig(inst);
      await driver.create();
    });
    return inst;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
