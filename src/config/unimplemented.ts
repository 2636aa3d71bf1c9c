// lima.yaml fields that lima-ts accepts (so Lima's files load unchanged) but does not act on yet.
// `create` and `start` name each of them once, so a user is not left guessing why a port is not
// forwarded or a directory is not mounted. Remove an entry here when its feature lands.
import type { LimaYAML } from "./types.js";

const NOT_YET = "is not implemented yet in lima-ts and has no effect";
const NOT_YET_PLURAL = "are not implemented yet in lima-ts and have no effect";

/** The mount types wired end to end (QEMU `-virtfs`, or virtiofsd + vhost-user-fs, plus the guest's fstab). */
const WIRED_MOUNT_TYPES = ["9p", "virtiofs"];

export interface UnimplementedContext {
  /** Network name -> mode, from `_config/networks.yaml` (Lima's built-in list when absent). */
  networkModes: Readonly<Record<string, string>>;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "field `a`" or "fields `a`, `b`", with the verb phrase that agrees. */
function fieldsSubject(fields: readonly string[]): { subject: string; notYet: string; are: string } {
  const list = fields.map((f) => `\`${f}\``).join(", ");
  if (fields.length === 1) return { subject: `field ${list}`, notYet: NOT_YET, are: "is" };
  return { subject: `fields ${list}`, notYet: NOT_YET_PLURAL, are: "are" };
}

function mountsNotice(y: LimaYAML): string | undefined {
  const entries = (y.mounts ?? []).length;
  const mountType = y.mountType ?? "";
  if (entries === 0 || WIRED_MOUNT_TYPES.includes(mountType)) return undefined;
  const what = `field \`mounts\` (${count(entries, "entry", "entries")}) with \`mountType: ${mountType}\``;
  return `${what} ${NOT_YET}: nothing is mounted; only \`mountType: 9p\` and \`mountType: virtiofs\` mounts work`;
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
  const copyToHost = (y.copyToHost ?? []).length;
  if (copyToHost > 0) messages.push(`field \`copyToHost\` (${count(copyToHost, "rule")}) ${NOT_YET}: nothing is copied from the guest`);
  if (y.mountInotify === true) messages.push(`field \`mountInotify: true\` ${NOT_YET}: host file changes raise no inotify events in the guest`);
  messages.push(mountsNotice(y));
  if (y.video?.display === "vnc") {
    // QEMU starts its VNC server with password=on; the host agent never sets the password nor
    // writes vncdisplay/vncpassword, so every VNC client is refused.
    messages.push(`field \`video.display: vnc\`: the VNC password (\`vncpassword\`) is not implemented yet in lima-ts, so no VNC client can connect`);
  }
  messages.push(userV2Notice(y, ctx));
  return messages.filter((m): m is string => m !== undefined);
}
