// Identifiers derived by hashing, shared by the host and the guest configuration: NIC MAC
// addresses (network-config, QEMU `-device virtio-net-pci,mac=`) and 9p/virtiofs mount tags.
import { createHash } from "node:crypto";

/** `52:55:55:` + the first 3 bytes of SHA-256(machine-id + seed); the seed is usually the instance dir. */
export { macAddress } from "../config/mac.js";

/** `lima-` + the first 8 bytes (16 hex digits) of SHA-256(`<location>:<mountPoint>`). */
export function mountTag(location: string, mountPoint: string): string {
  const digest = createHash("sha256").update(`${location}:${mountPoint}`).digest("hex");
  return `lima-${digest.slice(0, 16)}`;
}
