// lima.yaml fields that lima-ts accepts (so Lima's files load unchanged) but does not act on yet.
// `create` and `start` name each of them once, so a user is not left guessing why it does
// nothing. Remove an entry here when its feature lands.
import type { LimaYAML } from "./types.js";

/** One message per lima.yaml feature that the effective config uses but lima-ts ignores. */
export function unimplementedFields(y: LimaYAML): string[] {
  const messages: string[] = [];
  if (y.video?.display === "vnc") {
    // QEMU starts its VNC server with password=on; the host agent never sets the password nor
    // writes vncdisplay/vncpassword, so every VNC client is refused.
    messages.push(`field \`video.display: vnc\`: the VNC password (\`vncpassword\`) is not implemented yet in lima-ts, so no VNC client can connect`);
  }
  return messages;
}
