// logrus-compatible logging on stderr: scripts and Lima's own tests grep these lines.
import { goQuote } from "../util/goquote.js";

export const LEVELS = ["panic", "fatal", "error", "warning", "info", "debug", "trace"] as const;
export type Level = (typeof LEVELS)[number];
export type Fields = Record<string, unknown>;
export type LogFormat = "text" | "json";

const LEVEL_ALIASES: Record<string, Level> = { warn: "warning" };

export function parseLevel(name: string): Level {
  const lower = name.toLowerCase();
  const level = LEVEL_ALIASES[lower] ?? lower;
  if (!(LEVELS as readonly string[]).includes(level)) throw new Error(`not a valid logrus Level: ${goQuote(name)}`);
  return level as Level;
}

interface LoggerState {
  level: Level;
  format: LogFormat;
  debug: boolean;
  isTTY: boolean;
  start: number;
  write: (line: string) => void;
}

const state: LoggerState = {
  level: "info",
  format: "text",
  debug: false,
  isTTY: Boolean(process.stderr.isTTY),
  start: Date.now(),
  write: (line) => process.stderr.write(line),
};

export function configureLogger(options: Partial<Omit<LoggerState, "start">>): void {
  Object.assign(state, options);
}

export function isDebug(): boolean {
  return state.debug;
}

export function enabled(level: Level): boolean {
  return LEVELS.indexOf(level) <= LEVELS.indexOf(state.level);
}

const BARE = /^[A-Za-z0-9\-._/@^+]+$/;

function textValue(value: unknown): string {
  const s = formatValue(value);
  return BARE.test(s) ? s : goQuote(s);
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(" ")}]`;
  return String(value);
}

/** RFC 3339 with the local offset, as Go prints time.Now(). */
export function rfc3339(date: Date, nanos = false): string {
  const offsetMin = -date.getTimezoneOffset();
  const sign = offsetMin >= 0 ? "+" : "-";
  const abs = Math.abs(offsetMin);
  const local = new Date(date.getTime() + offsetMin * 60_000);
  const base = local.toISOString().slice(0, 19);
  const frac = nanos ? `.${String(local.getUTCMilliseconds()).padStart(3, "0")}`.replace(/\.?0+$/, "") : "";
  const zone = offsetMin === 0 ? "Z" : `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  return `${base}${frac}${zone}`;
}

const COLORS: Partial<Record<Level, number>> = { panic: 31, fatal: 31, error: 31, warning: 33, info: 36, debug: 37, trace: 37 };

export function formatEntry(level: Level, msg: string, fields: Fields = {}, now = new Date()): string {
  const keys = Object.keys(fields).sort();
  if (state.format === "json") {
    const obj: Record<string, unknown> = {};
    for (const k of keys) obj[k] = fields[k] instanceof Error ? (fields[k] as Error).message : fields[k];
    Object.assign(obj, { level, msg, time: rfc3339(now) });
    return `${JSON.stringify(obj)}\n`;
  }
  if (state.isTTY) {
    const secs = String(Math.floor((now.getTime() - state.start) / 1000)).padStart(4, "0");
    const tag = level.toUpperCase().slice(0, 4);
    const extra = keys.map((k) => ` \x1b[${COLORS[level]}m${k}\x1b[0m=${textValue(fields[k])}`).join("");
    const body = keys.length > 0 ? msg.padEnd(44) : msg;
    return `\x1b[${COLORS[level]}m${tag}\x1b[0m[${secs}] ${body}${extra}\n`;
  }
  const extra = keys.map((k) => ` ${k}=${textValue(fields[k])}`).join("");
  return `time=${goQuote(rfc3339(now))} level=${level} msg=${textValue(msg)}${extra}\n`;
}

function log(level: Level, msg: string, fields?: Fields): void {
  if (!enabled(level)) return;
  state.write(formatEntry(level, msg, fields));
}

export const logger = {
  trace: (msg: string, fields?: Fields) => log("trace", msg, fields),
  debug: (msg: string, fields?: Fields) => log("debug", msg, fields),
  info: (msg: string, fields?: Fields) => log("info", msg, fields),
  warn: (msg: string, fields?: Fields) => log("warning", msg, fields),
  error: (msg: string, fields?: Fields) => log("error", msg, fields),
  fatal: (msg: string, fields?: Fields) => log("fatal", msg, fields),
  log,
};
