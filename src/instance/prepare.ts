// Prepare (shared by create and start): fetch the image, kernel and initrd into the instance
// directory and turn them into the VM disk.
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Image, LimaYAML } from "../config/types.js";
import { download } from "../downloader/index.js";
import { logger } from "../log/logger.js";
import * as filenames from "../store/filenames.js";
import type { Instance } from "../store/instance.js";
import { errorMessage, LimaError } from "../util/errors.js";
import { configuredDriver } from "./driverutil.js";
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

async function ensureContainerdArchive(config: LimaYAML): Promise<void> {
  if (!config.containerd?.system && !config.containerd?.user) return;
  const archive = (config.containerd.archives ?? []).find((a) => (a.arch ?? config.arch) === config.arch);
  if (!archive) return;
  try {
    await download("", archive.location, { expectedDigest: archive.digest, cacheOnly: true, description: path.basename(archive.location), progress: true });
  } catch (err) {
    // Only `start` needs the archive; the instance itself is fine without it.
    logger.warn(`failed to download the nerdctl archive ${JSON.stringify(archive.location)}: ${errorMessage(err)}`);
  }
}

export async function prepareInstance(inst: Instance): Promise<void> {
  const config = inst.config;
  if (!config) throw new LimaError(`instance ${JSON.stringify(inst.name)} has no configuration`);
  const driver = configuredDriver(inst);
  await driver.validate();
  await driver.create();
  await ensureImage(inst, config);
  await driver.createDisk();
  await ensureContainerdArchive(config);
}
