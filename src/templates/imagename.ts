// Image URLs used as locators: a synthetic one-image template and an instance name derived from the file name.
import path from "node:path";
import type { Arch } from "../config/types.js";
import { goQuote } from "../util/goquote.js";
import { basePath } from "./gourl.js";

export type ImageOS = "Linux" | "FreeBSD" | "Darwin";

/** Image formats, optionally compressed; also stripped from the instance name. */
const IMAGE_SUFFIX = /\.(img|qcow2|raw|iso|ipsw)(\.(gz|xz|bz2|zstd))?$/;

const ARCH_KEYWORDS: ReadonlyArray<readonly [string, Arch]> = [
  ["aarch64", "aarch64"],
  ["amd64", "x86_64"],
  ["arm64", "aarch64"],
  ["armhf", "armv7l"],
  ["armv7l", "armv7l"],
  ["ppc64el", "ppc64le"],
  ["ppc64le", "ppc64le"],
  ["riscv64", "riscv64"],
  ["s390x", "s390x"],
  ["x86_64", "x86_64"],
];

const OS_KEYWORDS: ReadonlyArray<readonly [RegExp, ImageOS]> = [
  [/\bFreeBSD\b/i, "FreeBSD"],
  [/\bmacOS\b/i, "Darwin"],
  [/\.ipsw\b/i, "Darwin"],
];

/** Distribution tags that say nothing about the image and are dropped from the instance name. */
const GENERIC_TAGS = [
  "base", "basic", "cloud", "cloudimg", "cloudinit", "current", "daily", "default", "generic",
  "genericcloud", "kvm", "latest", "linux", "minimal", "openstack", "release", "restore", "server",
  "std", "stream", "uefi", "vm",
];

export function isImageURL(locator: string): boolean {
  return IMAGE_SUFFIX.test(locator);
}

export function hostArch(): Arch {
  const byNodeArch: Record<string, Arch> = {
    x64: "x86_64", arm64: "aarch64", arm: "armv7l", ppc64: "ppc64le", riscv64: "riscv64", s390x: "s390x",
  };
  return byNodeArch[process.arch] ?? "x86_64";
}

export function imageOS(locator: string): ImageOS {
  return OS_KEYWORDS.find(([pattern]) => pattern.test(locator))?.[1] ?? "Linux";
}

/** The arch named in the locator, if any. */
export function imageArchKeyword(locator: string): Arch | undefined {
  return ARCH_KEYWORDS.find(([keyword]) => new RegExp(`\\b${keyword}\\b`).test(locator))?.[1];
}

/** The YAML text of the synthetic template for an image URL. */
export function imageTemplateText(locator: string, os: ImageOS, arch: Arch): string {
  return `os: ${goQuote(os)}\narch: ${goQuote(arch)}\nimages:\n- location: ${goQuote(locator)}\n  arch: ${goQuote(arch)}\n`;
}

/** `ubuntu-24.04-server-cloudimg-amd64.img` -> `ubuntu-24.04-amd64` (on a non-amd64 host). */
export function instanceNameFromImageURL(locator: string, arch: Arch, nativeArch: Arch = hostArch()): string {
  let name = path.basename(basePath(locator)).toLowerCase();
  name = name.replace(IMAGE_SUFFIX, "");
  if (name.startsWith("nocloud_")) name = name.slice("nocloud_".length);
  for (const tag of GENERIC_TAGS) name = name.replace(new RegExp(`[-_.]${tag}\\b`, "g"), "");
  name = name.replace("universalmac_", "macos-");
  name = name.replace("arm64-aarch64", "arm64");
  if (arch === nativeArch) name = name.replace(new RegExp(`[-_.]${arch}\\b`, "g"), "");
  name = name.replace(/[-_.]20\d{6}([-_.]\d+)?\b/g, "");
  name = name.replace(/^arch\b/, "archlinux");
  name = name.replace(/-(\d+)-(\d+)\./g, (match, major: string, again: string) => (major === again ? `-${major}.` : match));
  return name.replace(/^(macos-[\d.]+)[-_].*$/, "$1");
}
