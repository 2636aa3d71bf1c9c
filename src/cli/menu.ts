// A terminal selection menu in the manner of survey's Select, which Lima uses: arrow keys move,
// Enter chooses, typing filters, Ctrl-C interrupts; for short lists a digit chooses at once.
// The key handling and the drawing are pure; `select` only wires them to a raw-mode terminal.
import { LimaError } from "../util/errors.js";

/** survey's default page size: longer lists scroll. */
export const PAGE_SIZE = 7;
/** Lists up to this long can be answered with one digit. */
const MAX_DIGIT_OPTIONS = 9;

export interface MenuState {
  options: readonly string[];
  filter: string;
  /** Position of the highlighted entry among the visible (filtered) options. */
  cursor: number;
}

export type MenuKey =
  | { kind: "up" | "down" | "enter" | "backspace" | "interrupt" | "eof" }
  | { kind: "char"; char: string };

export type MenuStep = { state: MenuState } | { chosen: number } | { interrupted: true };

/** The menu could not be shown (no terminal); Lima then goes on without asking. */
export class MenuUnavailableError extends LimaError {}

/** Ctrl-C (or Ctrl-D) in the menu. */
export class MenuInterruptedError extends LimaError {
  constructor() {
    super("Interrupted by user");
  }
}

const ESCAPES: Readonly<Record<string, MenuKey>> = {
  "\x1b[A": { kind: "up" }, "\x1bOA": { kind: "up" }, "\x1b[B": { kind: "down" }, "\x1bOB": { kind: "down" },
};
const CONTROLS: Readonly<Record<string, MenuKey>> = {
  "\r": { kind: "enter" }, "\n": { kind: "enter" }, "\x7f": { kind: "backspace" }, "\b": { kind: "backspace" },
  "\x03": { kind: "interrupt" }, "\x04": { kind: "eof" }, "\x10": { kind: "up" }, "\x0e": { kind: "down" }, "\t": { kind: "down" },
};

/** Splits what the terminal sent (several keys may arrive at once) into keys; unknown escapes are dropped. */
export function parseKeys(input: string): MenuKey[] {
  const keys: MenuKey[] = [];
  let i = 0;
  while (i < input.length) {
    if (input[i] === "\x1b") {
      const seq = /^\x1b(?:\[[0-9;]*[A-Za-z~]|O[A-Za-z])?/.exec(input.slice(i))?.[0] ?? "\x1b";
      const key = ESCAPES[seq];
      if (key) keys.push(key);
      i += seq.length;
      continue;
    }
    const ch = String.fromCodePoint(input.codePointAt(i) ?? 0);
    const control = CONTROLS[ch];
    if (control) keys.push(control);
    else if (ch >= " ") keys.push({ kind: "char", char: ch });
    i += ch.length;
  }
  return keys;
}

export function initialState(options: readonly string[]): MenuState {
  return { options, filter: "", cursor: 0 };
}

/** Indices (into `options`) of the entries matching the filter, as survey filters: case-insensitive substring. */
export function visibleOptions(state: MenuState): number[] {
  const filter = state.filter.toLowerCase();
  return state.options.flatMap((o, i) => (o.toLowerCase().includes(filter) ? [i] : []));
}

function digitChoice(state: MenuState, char: string): number | undefined {
  if (state.filter !== "" || state.options.length > MAX_DIGIT_OPTIONS || !/^[1-9]$/.test(char)) return undefined;
  const n = Number(char);
  return n <= state.options.length ? n - 1 : undefined;
}

export function applyKey(state: MenuState, key: MenuKey): MenuStep {
  const visible = visibleOptions(state);
  switch (key.kind) {
    case "interrupt":
    case "eof":
      return { interrupted: true };
    case "enter": {
      const chosen = visible[state.cursor];
      return chosen === undefined ? { state } : { chosen };
    }
    case "up":
      return { state: { ...state, cursor: visible.length === 0 ? 0 : (state.cursor - 1 + visible.length) % visible.length } };
    case "down":
      return { state: { ...state, cursor: visible.length === 0 ? 0 : (state.cursor + 1) % visible.length } };
    case "backspace":
      return { state: { ...state, filter: [...state.filter].slice(0, -1).join(""), cursor: 0 } };
    case "char": {
      const chosen = digitChoice(state, key.char);
      if (chosen !== undefined) return { chosen };
      return { state: { ...state, filter: state.filter + key.char, cursor: 0 } };
    }
  }
}

const BOLD = "\x1b[1m";
const GREEN = "\x1b[32m";
const CYAN = "\x1b[36m";
const RESET = "\x1b[0m";

/** The lines of the open menu: the question with its help (and the filter), then one page of options. */
export function renderMenu(message: string, state: MenuState, pageSize = PAGE_SIZE): string[] {
  const digits = state.options.length <= MAX_DIGIT_OPTIONS ? `, 1-${state.options.length} to choose` : "";
  const help = `[Use arrows to move${digits}, type to filter]`;
  const lines = [`${GREEN}?${RESET} ${BOLD}${message}${RESET}  ${CYAN}${help}${RESET}${state.filter ? ` ${state.filter}` : ""}`];
  const visible = visibleOptions(state);
  const first = Math.min(Math.max(0, state.cursor - pageSize + 1), Math.max(0, visible.length - pageSize));
  visible.slice(first, first + pageSize).forEach((index, i) => {
    const text = state.options[index] ?? "";
    lines.push(first + i === state.cursor ? `${CYAN}> ${text}${RESET}` : `  ${text}`);
  });
  return lines;
}

/** The line left on the terminal once answered. */
export function renderAnswer(message: string, answer: string): string {
  return `${GREEN}?${RESET} ${BOLD}${message}${RESET} ${CYAN}${answer}${RESET}`;
}

/** Cuts a line to the terminal width, so redrawing can count lines; escape sequences take no room. */
function fitWidth(line: string, columns: number): string {
  let width = 0;
  let out = "";
  for (const part of line.split(/(\x1b\[[0-9;]*m)/)) {
    if (part.startsWith("\x1b")) {
      out += part;
      continue;
    }
    const room = columns - 1 - width;
    const chars = [...part].slice(0, Math.max(0, room));
    out += chars.join("");
    width += chars.length;
  }
  return out;
}

export interface MenuIO {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

/** Asks the user to pick one of `options`; resolves to its index. */
export function select(message: string, options: readonly string[], io: MenuIO = { input: process.stdin, output: process.stdout }): Promise<number> {
  const { input, output } = io;
  if (!input.isTTY) return Promise.reject(new MenuUnavailableError("stdin is not a terminal"));
  if (options.length === 0) return Promise.reject(new LimaError("nothing to choose from"));
  let state = initialState(options);
  let drawn = 0;
  const draw = (lines: string[]): void => {
    const columns = output.columns || 80;
    output.write(`${drawn > 0 ? `\x1b[${drawn}A` : ""}\r\x1b[J${lines.map((l) => `${fitWidth(l, columns)}\n`).join("")}`);
    drawn = lines.length;
  };
  return new Promise((resolve, reject) => {
    const finish = (done: () => void): void => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.setRawMode(false);
      input.pause();
      output.write("\x1b[?25h");
      done();
    };
    const onData = (chunk: string): void => {
      for (const key of parseKeys(chunk)) {
        const step = applyKey(state, key);
        if ("interrupted" in step) {
          draw([]);
          finish(() => reject(new MenuInterruptedError()));
          return;
        }
        if ("chosen" in step) {
          draw([renderAnswer(message, options[step.chosen] ?? "")]);
          finish(() => resolve(step.chosen));
          return;
        }
        state = step.state;
      }
      draw(renderMenu(message, state));
    };
    const onEnd = (): void => finish(() => reject(new MenuInterruptedError()));
    input.setRawMode(true);
    input.setEncoding("utf8");
    input.on("data", onData);
    input.on("end", onEnd);
    input.resume();
    output.write("\x1b[?25l");
    draw(renderMenu(message, state));
  });
}
