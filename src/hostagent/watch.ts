// `limactl watch`: the events of ha.stdout.log as Lima prints them, as text lines or as
// newline-delimited JSON `{"instance": NAME, "event": EVENT}`.
import type { Event, PortForwardEvent, Status, VsockEvent } from "./events.js";
import { compactStatus } from "./events.js";

/** Go's zero time.Time, as `json.Marshal` writes an event without a time. */
const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

/** Milliseconds since the epoch of an RFC 3339 time with any number of fraction digits. */
export function eventTimeMs(time: string): number {
  return Date.parse(time.replace(/(\.\d{3})\d+/, "$1"));
}

/** Lima skips events older than the watch (unless --history); an event without a time is old. */
export function isBefore(ev: Event, beginMs: number): boolean {
  const t = eventTimeMs(ev.time ?? "");
  return !Number.isFinite(t) || t < beginMs;
}

/** Go's `time.DateTime` layout of the event's time, in the event's own offset (as Go keeps it). */
export function dateTimeOf(time: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(time);
  return m ? `${m[1]} ${m[2]}` : "0001-01-01 00:00:00";
}

/** `time.Now().Format(time.DateTime)` in the local zone. */
export function localDateTime(now: Date): string {
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
}

function portForwardMessage(pf: PortForwardEvent): string | undefined {
  switch (pf.type) {
    case "forwarding":
      return `forwarding ${pf.protocol ?? ""} ${pf.guestAddr ?? ""} to ${pf.hostAddr ?? ""}`;
    case "not-forwarding":
      return `not forwarding ${pf.protocol ?? ""} ${pf.guestAddr ?? ""}`;
    case "stopping":
      return `stopping forwarding ${pf.protocol ?? ""} ${pf.guestAddr ?? ""}`;
    case "failed":
      return `failed to forward ${pf.protocol ?? ""} ${pf.guestAddr ?? ""}: ${pf.error ?? ""}`;
    default:
      return undefined;
  }
}

function vsockMessage(vs: VsockEvent): string | undefined {
  switch (vs.type) {
    case "started":
      return `started vsock forwarder: ${vs.hostAddr ?? ""} -> vsock:${vs.vsockPort ?? 0}`;
    case "skipped":
      return `skipped vsock forwarder: ${vs.reason ?? ""}`;
    case "failed":
      return `failed to start vsock forwarder: ${vs.reason ?? ""}`;
    default:
      return undefined;
  }
}

/** What an event says, one message per fact, in Lima's order. */
function messages(status: Status): string[] {
  const out: string[] = [];
  if (status.running) out.push(status.degraded ? "running (degraded)" : "running");
  if (status.exiting) out.push("exiting");
  if (status.sshLocalPort) out.push(`ssh available on port ${status.sshLocalPort}`);
  for (const e of status.errors ?? []) out.push(`error: ${e}`);
  const ci = status.cloudInitProgress;
  if (ci?.completed) out.push("cloud-init completed");
  else if (ci?.logLine) out.push(`cloud-init: ${ci.logLine}`);
  const pf = status.portForward && portForwardMessage(status.portForward);
  if (pf) out.push(pf);
  const vs = status.vsock && vsockMessage(status.vsock);
  if (vs) out.push(vs);
  return out;
}

/** The text lines of an event: `DATE TIME INSTANCE | MESSAGE`. */
export function humanReadableLines(instName: string, ev: Event): string[] {
  const stamp = dateTimeOf(ev.time ?? "");
  return messages(ev.status ?? {}).map((msg) => `${stamp} ${instName} | ${msg}`);
}

/** Go's omitempty for the sub-objects, in Lima's field order (`type` is always written). */
function compactPortForward(pf: PortForwardEvent): PortForwardEvent {
  const out: PortForwardEvent = { type: pf.type };
  if (pf.protocol) out.protocol = pf.protocol;
  if (pf.guestAddr) out.guestAddr = pf.guestAddr;
  if (pf.hostAddr) out.hostAddr = pf.hostAddr;
  if (pf.error) out.error = pf.error;
  return out;
}

function compactVsock(vs: VsockEvent): VsockEvent {
  const out: VsockEvent = { type: vs.type };
  if (vs.hostAddr) out.hostAddr = vs.hostAddr;
  if (vs.vsockPort) out.vsockPort = vs.vsockPort;
  if (vs.reason) out.reason = vs.reason;
  return out;
}

/** One line of `watch --json`: the event re-encoded as Lima's Go structs encode it. */
export function jsonLine(instName: string, ev: Event): string {
  const status = compactStatus(ev.status ?? {});
  if (status.portForward) status.portForward = compactPortForward(status.portForward);
  if (status.vsock) status.vsock = compactVsock(status.vsock);
  return JSON.stringify({ instance: instName, event: { time: ev.time || GO_ZERO_TIME, status } });
}
