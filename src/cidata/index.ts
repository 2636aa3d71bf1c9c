// cloud-init NoCloud data for the guest (Lima's pkg/cidata): `$INST/cidata.iso` (volume `cidata`)
// regenerated with a new instance ID at every start, or `$INST/cidata/` for drivers without
// cloud-init; plus the reference copy `$INST/cloud-config.yaml`.
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { publicKeys } from "../sshutil/sshutil.js";
import * as filenames from "../store/filenames.js";
import type { Instance } from "../store/instance.js";
import { LimaError } from "../util/errors.js";
import { deriveTemplateArgs, hostFacts, type StartArgs, type TemplateArgs } from "./args.js";
import { type IsoEntry, writeIso } from "./iso9660.js";
import {
  bootScriptEntries,
  driverScriptEntries,
  guestAgentEntry,
  nerdctlArchiveEntry,
  provisionEntries,
  renderedEntries,
} from "./layout.js";
import { renderUserData } from "./render.js";

export type { TemplateArgs } from "./args.js";
export { macAddress, mountTag } from "./mac.js";
export {
  renderEtcEnvironment,
  renderLimaEnv,
  renderMetaData,
  renderNetworkConfig,
  renderParamEnv,
  renderUserData,
} from "./render.js";

export interface CidataOptions extends StartArgs {
  /** Not rendered anywhere (the guest needs no host port); accepted for the caller's convenience. */
  sshLocalPort?: number;
  /** Host path of the guest agent (`.gz` is decompressed); omitted: no guest agent in the volume. */
  guestAgentBinary?: string;
  /** Host path of the nerdctl-full archive; only when containerd is enabled. */
  nerdctlArchive?: string;
  /** `boot.<OS>/<script>` (or a bare name for Linux) -> content. */
  driverBootScripts?: Record<string, Uint8Array>;
}

const CIDATA_VOLUME_ID = "cidata";

async function layout(inst: Instance, args: TemplateArgs, options: CidataOptions): Promise<IsoEntry[]> {
  const entries = [...renderedEntries(args), ...(await bootScriptEntries())];
  entries.push(...driverScriptEntries(options.driverBootScripts ?? {}));
  entries.push(...provisionEntries(inst.config?.provision ?? []));
  if (options.guestAgentBinary) entries.push(await guestAgentEntry(options.guestAgentBinary));
  if (options.nerdctlArchive) entries.push(await nerdctlArchiveEntry(options.nerdctlArchive));
  return entries;
}

/** Directory form for drivers without cloud-init (WSL2): sorted, everything mode 0700. */
async function writeCidataDir(dir: string, entries: IsoEntry[]): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const sorted = [...entries].sort((a, b) => a.path.toLowerCase().localeCompare(b.path.toLowerCase()));
  for (const entry of sorted) {
    const file = path.join(dir, ...entry.path.split("/"));
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, entry.data, { mode: 0o700 });
    await chmod(file, 0o700);
  }
}

/** Writes `$INST/cidata.iso` (or `$INST/cidata/` when `noCloudInit`) and `$INST/cloud-config.yaml`. */
export async function generateCidata(inst: Instance, options: CidataOptions): Promise<{ iid: string }> {
  if (inst.config?.os === "Windows") throw new LimaError("cidata for Windows guests is not supported");
  const args = deriveTemplateArgs(inst, options, await hostFacts(inst, options));
  const entries = await layout(inst, args, options);
  if (options.noCloudInit) {
    entries.push({ path: "ssh_authorized_keys", data: args.sshPubKeys.join("\n") });
    await writeCidataDir(path.join(inst.dir, filenames.CIDataISODir), entries);
  } else {
    await writeIso(path.join(inst.dir, filenames.CIDataISO), CIDATA_VOLUME_ID, entries);
  }
  await writeCloudConfigFile(inst, args);
  return { iid: args.iid };
}

async function writeCloudConfigFile(inst: Instance, args: TemplateArgs): Promise<void> {
  const file = path.join(inst.dir, filenames.CloudConfig);
  await rm(file, { force: true });
  await writeFile(file, renderUserData(args, false), { mode: 0o444 });
  await chmod(file, 0o444);
}

/**
 * `$INST/cloud-config.yaml` alone (create, factory-reset): user-data for reference, without mounts,
 * resolv_conf and the boot script; mode 0444. Windows guests get none (an old one is deleted).
 * `pubKeys` defaults to Lima's key set; `userV2` as in CidataOptions.
 */
export async function writeCloudConfig(inst: Instance, extra: Pick<Partial<StartArgs>, "pubKeys" | "userV2"> = {}): Promise<void> {
  if (inst.config?.os === "Windows") {
    await rm(path.join(inst.dir, filenames.CloudConfig), { force: true });
    return;
  }
  const start: StartArgs = {
    udpDNSLocalPort: 0,
    tcpDNSLocalPort: 0,
    pubKeys: extra.pubKeys ?? publicKeys(inst.config?.ssh?.loadDotSSHPubKeys ?? false),
    debug: false,
    vsockPort: 0,
    virtioPort: "",
    noCloudInit: false,
    rosettaEnabled: false,
    rosettaBinFmt: false,
    ...(extra.userV2 ? { userV2: extra.userV2 } : {}),
  };
  const args = deriveTemplateArgs(inst, start, await hostFacts(inst, start));
  await writeCloudConfigFile(inst, args);
}
