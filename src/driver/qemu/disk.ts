// The instance disk for QEMU: format detection, `qemu-img info`, CreateDisk (`image` ->
// `disk`/`iso`), the legacy basedisk/diffdisk layout and growing the disk (spec:
// lima-runtime.md §2.4 steps 3, 6, 7 and §6.5.7).
import { execFile } from "node:child_process";
import { lstat, open, rename, stat, symlink, truncate } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { bytesSize } from "../../config/size.js";
import { logger } from "../../log/logger.js";
import * as filenames from "../../store/filenames.js";
import { LimaError, isErrno } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { pathExists } from "../../util/fsutil.js";

const execFileAsync = promisify(execFile);

export type ImageFormat = "qcow2" | "raw" | "vmdk" | "vhdx";

/** Formats QEMU boots directly (driver Info `supportedImageFormats`). */
export const SUPPORTED_IMAGE_FORMATS: readonly ImageFormat[] = ["qcow2", "raw", "vmdk", "vhdx"];

const ISO9660_MAGIC_OFFSET = 0x8001;
const HEADER_BYTES = ISO9660_MAGIC_OFFSET + 5;

function startsWith(header: Uint8Array, magic: string, offset = 0): boolean {
  if (header.length < offset + magic.length) return false;
  return Buffer.from(header.subarray(offset, offset + magic.length)).toString("latin1") === magic;
}

/** Format by magic bytes; anything unrecognised (including ISO 9660) is raw. */
export function detectImageFormatFromHeader(header: Uint8Array): ImageFormat {
  if (startsWith(header, "QFI\xfb")) return "qcow2";
  if (startsWith(header, "KDMV") || startsWith(header, "# Disk DescriptorFile")) return "vmdk";
  if (startsWith(header, "vhdxfile")) return "vhdx";
  return "raw";
}

/** ISO 9660: the primary volume descriptor's `CD001` at byte 0x8001. */
export function isISO9660Header(header: Uint8Array): boolean {
  return startsWith(header, "CD001", ISO9660_MAGIC_OFFSET);
}

async function readHeader(file: string): Promise<Uint8Array> {
  const handle = await open(file, "r");
  try {
    const buffer = new Uint8Array(HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export async function detectImageFormat(file: string): Promise<ImageFormat> {
  return detectImageFormatFromHeader(await readHeader(file));
}

export async function isISO9660(file: string): Promise<boolean> {
  return isISO9660Header(await readHeader(file));
}

/** `qemu-img info --output=json` (the fields Lima looks at). */
export interface QemuImgInfo {
  filename?: string;
  format?: string;
  "virtual-size"?: number;
  "actual-size"?: number;
  "backing-filename"?: string;
  "full-backing-filename"?: string;
  "backing-filename-format"?: string;
  "format-specific"?: { type?: string; data?: { extents?: { filename?: string }[] } };
  /** Since QEMU 8.0. */
  children?: { name?: string; info?: QemuImgInfo }[];
}

async function runQemuImg(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync("qemu-img", args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number | string; message: string };
    const status = typeof e.code === "number" ? `exit status ${e.code}` : e.message;
    throw new LimaError(`failed to run [qemu-img ${args.join(" ")}]: ${q(`${e.stdout ?? ""}${e.stderr ?? ""}`)}: ${status}`, { cause: err });
  }
}

export async function qemuImgInfo(file: string): Promise<QemuImgInfo> {
  return JSON.parse(await runQemuImg(["info", "--output=json", "--force-share", file])) as QemuImgInfo;
}

/** Refuses images that would read other host files (backing files, VMDK extents, children). */
export function acceptableAsBaseDisk(info: QemuImgInfo): void {
  const name = info.filename ?? "";
  if (info.format !== "qcow2" && info.format !== "raw") {
    logger.warn(`Unsupported image format ${q(info.format ?? "")}. The image may not boot, or may have an extra privilege to access the host filesystem. Use with caution.`, { filename: name });
  }
  const backing = info["backing-filename"] || info["full-backing-filename"];
  if (backing) throw new LimaError(`base disk (${q(name)}) must not have a backing file (${q(backing)})`);
  if (info["format-specific"]?.type === "vmdk") {
    for (const extent of info["format-specific"].data?.extents ?? []) {
      if (extent.filename !== name) throw new LimaError(`base disk (${q(name)}) must not have an extent file (${q(extent.filename ?? "")})`);
    }
  }
  const children = info.children ?? [];
  if (children.length > 1) throw new LimaError(`base disk (${q(name)}) must not have multiple children`);
  const child = children[0]?.info;
  if (!child) return;
  if (child.filename !== name) throw new LimaError(`base disk (${q(name)}) child must not have a different filename (${q(child.filename ?? "")})`);
  if ((child.children ?? []).length > 0) throw new LimaError(`base disk (${q(name)}) child must not have children of its own`);
}

/**
 * CreateDisk: `image` becomes `disk` (format unchanged), or, for an ISO installer, `iso` plus a
 * new empty qcow2 `disk` of `sizeBytes`. Nothing to do when `disk` exists.
 */
export async function createDisk(instDir: string, sizeBytes: number): Promise<void> {
  const disk = path.join(instDir, filenames.Disk);
  if (await pathExists(disk)) return;
  const image = path.join(instDir, filenames.Image);
  const iso = await isISO9660(image);
  let info: QemuImgInfo;
  try {
    info = await qemuImgInfo(image);
  } catch (err) {
    throw new LimaError(`failed to get the information of ${q(image)}: ${(err as Error).message}`, { cause: err });
  }
  try {
    acceptableAsBaseDisk(info);
  } catch (err) {
    throw new LimaError(`file ${q(image)} is not acceptable as a disk image: ${(err as Error).message}`, { cause: err });
  }
  if (!info.format) throw new LimaError(`failed to inspect the format of ${q(image)}`);
  if (!iso) {
    await rename(image, disk);
    return;
  }
  const isoPath = path.join(instDir, filenames.ISO);
  await rename(image, isoPath);
  try {
    await runQemuImg(["create", "-f", "qcow2", disk, String(sizeBytes)]);
  } catch (err) {
    await rename(isoPath, image).catch(() => undefined);
    throw err;
  }
}

async function lexists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (err) {
    if (isErrno(err, "ENOENT")) return false;
    throw err;
  }
}

/** Instances made before v2.1 have `basedisk`/`diffdisk`: point `disk` (and `iso`) at them. */
export async function migrateDiskLayout(instDir: string): Promise<void> {
  const disk = path.join(instDir, filenames.Disk);
  if (await pathExists(disk)) return;
  if (await pathExists(path.join(instDir, filenames.DiffDisk))) {
    logger.info(`Creating symlink ${q(filenames.Disk)} -> ${q(filenames.DiffDisk)}`);
    if (await lexists(disk)) throw new LimaError(`failed to symlink ${q(filenames.Disk)} to ${q(filenames.DiffDisk)}: dangling ${q(disk)} exists`);
    await symlink(filenames.DiffDisk, disk);
  }
  const baseDisk = path.join(instDir, filenames.BaseDisk);
  const iso = path.join(instDir, filenames.ISO);
  if (!(await pathExists(baseDisk)) || (await pathExists(iso))) return;
  // a non-ISO basedisk is the qcow2 backing file of diffdisk; QEMU resolves it itself
  if (!(await isISO9660(baseDisk))) return;
  logger.info(`Creating symlink ${q(filenames.ISO)} -> ${q(filenames.BaseDisk)}`);
  await symlink(filenames.BaseDisk, iso);
}

const QCOW2_SIZE_OFFSET = 24;

/** Virtual size: qcow2 header, raw file size, otherwise `qemu-img info`. */
export async function virtualSize(file: string): Promise<number> {
  const format = await detectImageFormat(file);
  if (format === "raw") return (await stat(file)).size;
  if (format === "qcow2") {
    const handle = await open(file, "r");
    try {
      const buffer = Buffer.alloc(8);
      await handle.read(buffer, 0, 8, QCOW2_SIZE_OFFSET);
      return Number(buffer.readBigUInt64BE(0));
    } finally {
      await handle.close();
    }
  }
  const size = (await qemuImgInfo(file))["virtual-size"];
  if (size === undefined) throw new LimaError(`failed to inspect the size of ${q(file)}`);
  return size;
}

function qemuImgMissing(err: unknown): boolean {
  return isErrno((err as Error).cause, "ENOENT");
}

const SECTOR_BYTES = 512;

function roundUpToSector(sizeBytes: number): number {
  return Math.ceil(sizeBytes / SECTOR_BYTES) * SECTOR_BYTES;
}

/**
 * A new empty image (Lima's proxyimgutil CreateDisk): `qemu-img create -f FORMAT`; without
 * qemu-img, a sparse raw file (rounded up to 512 bytes). Nothing to do when `file` exists.
 */
export async function createDiskImage(file: string, sizeBytes: number, format: "qcow2" | "raw"): Promise<void> {
  if (await pathExists(file)) return;
  try {
    await runQemuImg(["create", "-f", format, file, String(sizeBytes)]);
  } catch (err) {
    if (!qemuImgMissing(err)) throw err;
    await (await open(file, "wx", 0o644)).close();
    await truncate(file, roundUpToSector(sizeBytes));
  }
}

/** `qemu-img resize`; without qemu-img, a raw disk is truncated (rounded up to 512 bytes). */
export async function resizeDiskImage(disk: string, sizeBytes: number): Promise<void> {
  let format: string | undefined;
  try {
    format = (await qemuImgInfo(disk)).format;
  } catch (err) {
    if (!qemuImgMissing(err)) throw err;
    if ((await detectImageFormat(disk)) !== "raw") throw err;
    await truncate(disk, roundUpToSector(sizeBytes));
    return;
  }
  await runQemuImg(["resize", "-f", format ?? "raw", disk, String(sizeBytes)]);
}

/** Grows `disk` to `sizeBytes` (never shrinks); nothing to do when it does not exist yet. */
export async function resizeDisk(instDir: string, sizeBytes: number, instName: string = path.basename(instDir)): Promise<void> {
  const disk = path.join(instDir, filenames.Disk);
  if (!(await pathExists(disk))) return;
  const current = await virtualSize(disk);
  if (current === sizeBytes) return;
  logger.info(`Resize instance ${instName}'s disk from ${bytesSize(current)} to ${bytesSize(sizeBytes)}`);
  if (sizeBytes < current) throw new LimaError("disk shrinking is not supported");
  await resizeDiskImage(disk, sizeBytes);
}

/** Legacy layout migration, CreateDisk, then growing the disk to the configured size. */
export async function ensureDisk(instDir: string, sizeBytes: number, instName?: string): Promise<void> {
  await migrateDiskLayout(instDir);
  await createDisk(instDir, sizeBytes);
  await resizeDisk(instDir, sizeBytes, instName);
}
