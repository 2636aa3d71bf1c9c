// Prepare (shared by create and start): fetch the image, kernel and initrd into the instance
// directory and turn them into the VM disk.
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { FileRef, Image, LimaYAML } from "../config/types.js";
import { download, isLocal } from "../downloader/index.js";
import { canonicalLocalPath } from "../downloader/localpath.js";
import { logger } from "../log/logger.js";
import * as filenames from "../store/filenames.js";
import type { Instance } from "../store/instance.js";
import { errorMessage, LimaError } from "../util/errors.js";
import { withConfiguredDriver } from "./driverutil.js";
import { lstatExists } from "../util/fsutil.js";

/** Images for the instance arch, restricted to the variant of the first matching entry. */
export function candidateImages(config: LimaYAML): Image[] {
  const arch = config.arch;
  const images = (config.images ?? []).filter((img) => (img.arch ?? arch) === arch);
  const first = images[0];
  if (!first) return [];
  return images.filter((img) => (img.variant ?? "") === (first.variant ?? "") && (img.archVariant ?? "") === (first.archVariant ?? ""));
}

async function fetchImage(dir: string, img: Image): Promise<void> {
  const desc = path.basename(img.location);
  await download(path.join(dir, filenames.Image), img.location, { expectedDigest: img.digest, decompress: true, description: desc, progress: true });
  if (img.kernel) {
    await download(path.join(dir, filenames.Kernel), img.kernel.location, { expectedDigest: img.kernel.digest, decompress: true, description: "the kernel", progress: true });
    if (img.kernel.cmdline) writeFileSync(path.join(dir, filenames.KernelCmdline), img.kernel.cmdline, { mode: 0o644 });
  }
  if (img.initrd) {
    await download(path.join(dir, filenames.Initrd), img.initrd.location, { expectedDigest: img.initrd.digest, decompress: false, description: "the initrd", progress: true });
  }
}

async function ensureImage(inst: Instance, config: LimaYAML): Promise<void> {
  const dir = inst.dir;
  // A legacy instance (before Lima 2.1) has diffdisk instead of disk; the driver's createDisk
  // links it into place, so there is nothing to fetch.
  if (existsSync(path.join(dir, filenames.Image)) || lstatExists(path.join(dir, filenames.Disk)) || lstatExists(path.join(dir, filenames.DiffDisk))) return;
  const candidates = candidateImages(config);
  if (candidates.length === 0) {
    throw new LimaError("no images are configured (did you set --image-variant or --arch-variant to a value not present in the template?)");
  }
  const errors: string[] = [];
  for (const img of candidates) {
    try {
      await fetchImage(dir, img);
      return;
    } catch (err) {
      errors.push(`failed to download ${JSON.stringify(img.location)}: ${errorMessage(err)}`);
    }
  }
  throw new LimaError(errors.join("\n"));
}

const NERDCTL_ARCHIVE_FIX = "set `containerd.system: false` and `containerd.user: false` if the instance needs no containers";

/**
 * The nerdctl-full archive for the instance arch, fetched into the download cache (a local file
 * is used where it is); undefined when containerd is off. Lima's EnsureNerdctlArchiveCache.
 */
export async function ensureNerdctlArchive(inst: Instance, config: LimaYAML): Promise<string | undefined> {
  if (!config.containerd?.system && !config.containerd?.user) return undefined;
  const yamlFile = JSON.stringify(path.join(inst.dir, filenames.LimaYAML));
  const archives = (config.containerd.archives ?? []).filter((a) => (a.arch ?? config.arch) === config.arch);
  if (archives.length === 0) {
    throw new LimaError(`containerd is enabled, but \`containerd.archives\` in ${yamlFile} lists no archive for the arch ${JSON.stringify(config.arch)}: add one, or ${NERDCTL_ARCHIVE_FIX}`);
  }
  const errors: string[] = [];
  for (const archive of archives) {
    try {
      return await fetchNerdctlArchive(archive);
    } catch (err) {
      errors.push(`failed to download the nerdctl archive ${JSON.stringify(archive.location)}: ${errorMessage(err)}`);
    }
  }
  throw new LimaError(`${errors.join("\n")}\n(hint: fix \`containerd.archives\` in ${yamlFile}, or ${NERDCTL_ARCHIVE_FIX})`);
}

async function fetchNerdctlArchive(archive: FileRef): Promise<string> {
  const description = path.basename(archive.location);
  if (isLocal(archive.location)) {
    const file = canonicalLocalPath(archive.location);
    if (!existsSync(file)) throw new LimaError(`no such file ${JSON.stringify(file)}`);
    // Verifies the digest, if there is one.
    await download("", archive.location, { expectedDigest: archive.digest, cacheOnly: true, description });
    return file;
  }
  const res = await download("", archive.location, { expectedDigest: archive.digest, cacheOnly: true, description, progress: true });
  if (!res.cachePath) throw new LimaError(`the cache did not get ${JSON.stringify(archive.location)}`);
  return res.cachePath;
}

export interface Prepared {
  /** Host path of the nerdctl-full archive, for the host agent to put into cidata. */
  nerdctlArchive?: string;
}

/**
 * `requireNerdctlArchive` (start): a nerdctl archive that cannot be had fails at once, naming the
 * location; otherwise (create) it is only a warning, as only `start` needs it.
 */
export async function prepareInstance(inst: Instance, options: { requireNerdctlArchive?: boolean } = {}): Promise<Prepared> {
  const config = inst.config;
  if (!config) throw new LimaError(`instance ${JSON.stringify(inst.name)} has no configuration`);
  // The host agent starts a driver of its own.
  await withConfiguredDriver(inst, async ({ driver }) => {
    await driver.validate();
    await driver.create();
    await ensureImage(inst, config);
    await driver.createDisk();
  });
  if (options.requireNerdctlArchive) return { nerdctlArchive: await ensureNerdctlArchive(inst, config) };
  try {
    await ensureNerdctlArchive(inst, config);
  } catch (err) {
    logger.warn(errorMessage(err));
  }
  return {};
}
