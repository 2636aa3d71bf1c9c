// UEFI firmware for `-drive if=pflash` (spec: lima-runtime.md §6.5.5).
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Arch, LimaYAML } from "../../config/types.js";
import { download } from "../../downloader/index.js";
import { logger } from "../../log/logger.js";
import { LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import * as filenames from "../../store/filenames.js";
import { qemuEdk2Arch } from "./version.js";

const DISTRO_FIRMWARE: Readonly<Partial<Record<Arch, readonly string[]>>> = {
  x86_64: [
    "/usr/share/edk2/x64/OVMF_CODE.4m.fd", // Arch Linux edk2-ovmf
    "/usr/share/OVMF/OVMF_CODE.fd", // Debian ovmf
    "/usr/share/OVMF/OVMF_CODE_4M.fd",
    "/usr/share/edk2/ovmf/OVMF_CODE.fd", // Fedora edk2-ovmf
    "/usr/share/qemu/ovmf-x86_64.bin", // openSUSE qemu-ovmf-x86_64
    "/usr/share/qemu/ovmf-x86_64-4m.bin",
  ],
  aarch64: ["/usr/share/edk2/aarch64/QEMU_CODE.fd", "/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"],
  armv7l: ["/usr/share/edk2/arm/QEMU_CODE.fd", "/usr/share/AAVMF/AAVMF32_CODE.fd"],
  riscv64: ["/usr/share/qemu-efi-riscv64/RISCV_VIRT_CODE.fd", "/usr/share/edk2/riscv/RISCV_VIRT_CODE.fd"],
};

/** Where system firmware is looked for, in order (pure). */
export function firmwareCandidates(qemuExe: string, arch: Arch, home: string = os.homedir()): string[] {
  const distro = DISTRO_FIRMWARE[arch];
  if (!distro) throw new LimaError(`unexpected architecture: ${q(arch)}`);
  const binDir = path.dirname(qemuExe);
  const prefix = path.dirname(binDir);
  const edk2 = qemuEdk2Arch(arch);
  return [
    path.join(home, ".local", `share/qemu/edk2-${edk2}-code.fd`),
    path.join(prefix, `share/qemu/edk2-${edk2}-code.fd`),
    path.join(binDir, `share/edk2-${edk2}-code.fd`),
    ...distro,
  ];
}

export function findSystemFirmware(qemuExe: string, arch: Arch, exists: (file: string) => boolean = existsSync): string {
  const candidates = firmwareCandidates(qemuExe, arch);
  logger.debug(`firmware candidates = [${candidates.join(" ")}]`);
  const found = candidates.find(exists);
  if (found) return found;
  if (arch === "x86_64") throw new LimaError(`could not find firmware for ${q(arch)} (hint: try setting \`firmware.legacyBIOS\` to \`true\`)`);
  const binaryArch = path.basename(qemuExe).replace(/^qemu-system-/, "");
  throw new LimaError(`could not find firmware for ${q(arch)} (hint: try copying the \`edk-${binaryArch}-code.fd\` firmware to $HOME/.local/share/qemu/)`);
}

/** Whether this arch/config boots without pflash firmware (SLOF/s390 BIOS or SeaBIOS). */
export function usesNoFirmware(arch: Arch, legacyBIOS: boolean): boolean {
  return arch === "ppc64le" || arch === "s390x" || legacyBIOS;
}

/** `firmware.legacyBIOS` only means something on x86_64 and armv7l. */
export function effectiveLegacyBIOS(arch: Arch, legacyBIOS: boolean): boolean {
  if (legacyBIOS && arch !== "x86_64" && arch !== "armv7l") {
    logger.warn(`field \`firmware.legacyBIOS\` is not supported for architecture ${q(arch)}, ignoring`);
    return false;
  }
  return legacyBIOS;
}

/**
 * The firmware for the instance: `$INST/qemu-efi-code.fd` if present, else the first
 * `firmware.images` entry for this arch (downloaded there), else the system firmware.
 */
export async function resolveFirmware(instDir: string, config: LimaYAML, qemuExe: string, arch: Arch): Promise<string> {
  const downloaded = path.join(instDir, filenames.QemuEfiCodeFD);
  if (existsSync(downloaded)) {
    logger.info(`Using existing firmware (${q(downloaded)})`);
    return downloaded;
  }
  for (const image of config.firmware?.images ?? []) {
    if ((image.vmType ?? "") !== "" && image.vmType !== "qemu") continue;
    if (image.arch !== arch) continue;
    try {
      await download(downloaded, image.location, { expectedDigest: image.digest, decompress: true, description: `UEFI code ${image.location}` });
    } catch (err) {
      logger.warn(`failed to download ${q(image.location)}`, { error: err });
      continue;
    }
    logger.info(`Using firmware ${q(downloaded)} (downloaded from ${q(image.location)})`);
    return downloaded;
  }
  const system = findSystemFirmware(qemuExe, arch);
  logger.info(`Using system firmware (${q(system)})`);
  return system;
}
