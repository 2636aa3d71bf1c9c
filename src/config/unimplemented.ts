// lima.yaml fields that lima-ts accepts (so Lima's files load unchanged) but does not act on yet.
// `create` and `start` name each of them once, so a user is not left guessing why it does
// nothing. Remove an entry here when its feature lands.
import type { LimaYAML } from "./types.js";

export interface UnimplementedContext {
  /** Network name -> mode, from `_config/networks.yaml` (Lima's built-in list when absent). */
  networkModes: Readonly<Record<string, string>>;
}

/** "field `a`" or "fields `a`, `b`", with the verb phrase that agrees. */
function fieldsSubject(fields: readonly string[]): { subject: string; are: string } {
  const list = fields.map((f) => `\`${f}\``).join(", ");
  if (fields.length === 1) return { subject: `field ${list}`, are: "is" };
  return { subject: `fields ${list}`, are: "are" };
}

function userV2Notice(y: LimaYAML, ctx: UnimplementedContext): string | undefined {
  const fields = (y.networks ?? []).flatMap((nw, i) => (nw.lima && ctx.networkModes[nw.lima] === "user-v2" ? [`networks[${i}].lima`] : []));
  if (fields.length === 0) return undefined;
  const { subject, are } = fieldsSubject(fields);
  return `${subject} (\`user-v2\` network) ${are} not implemented yet in lima-ts: \`limactl start\` fails with it; remove it, or use \`socket:\``;
}

/** One message per lima.yaml feature that the effective config uses but lima-ts ignores. */
export function unimplementedFields(y: LimaYAML, ctx: UnimplementedContext): string[] {
  const messages: (string | undefined)[] = [];
  if (y.video?.display === "vnc") {
    // QEMU starts its VNC server with password=on; the host agent never sets the password nor
    // writes vncdisplay/vncpassword, so every VNC client is refused.
    messages.push(`field \`video.display: vnc\`: the VNC password (\`vncpassword\`) is not implemented yet in lima-ts, so no VNC client can connect`);
  }
  messages.push(userV2Notice(y, ctx));
  return messages.filter((m): m is string => m !== undefined);
}
