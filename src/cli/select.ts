// A one-of-N prompt drawn like the survey library's Select that Lima uses: arrow keys move, typing
// filters, Enter picks, Ctrl-C interrupts.

const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
const QUESTION = "\x1b[1;92m? \x1b[0m";
const BOLD = "\x1b[1;99m";
const CYAN = "\x1b[36m";
const FOCUS = "\x1b[1;36m";
const PLAIN = "\x1b[39m";
const RESET = "\x1b[0m";

export interface SelectState {
  filter: string;
  /** Index into the filtered options. */
  cursor: number;
}

/** Indexes of the options that contain the filter, case-insensitively. */
export function filtered(options: readonly string[], filter: string): number[] {
  const needle = filter.toLowerCase();
  return options.flatMap((o, i) => (o.toLowerCase().includes(needle) ? [i] : []));
}

export function renderQuestion(message: string, options: readonly string[], state: SelectState): string {
  const filter = state.filter === "" ? "" : ` ${state.filter}`;
  let out = `${QUESTION}${BOLD}${message}${filter}${RESET}  ${CYAN}[Use arrows to move, type to filter]${RESET}\n`;
  filtered(options, state.filter).forEach((index, row) => {
    out += row === state.cursor ? `${FOCUS}> ${options[index]}${RESET}\n` : `${PLAIN}  ${options[index]}${RESET}\n`;
  });
  return out;
}

export function renderAnswer(message: string, answer: string): string {
  return `${QUESTION}${BOLD}${message}${RESET}${CYAN} ${answer}${RESET}\n`;
}

export type Key = "up" | "down" | "enter" | "interrupt" | "backspace" | { char: string };

/** Splits raw terminal input into keys; one read can hold several (pasted or scripted input). */
export function parseKeys(input: string): Key[] {
  const keys: Key[] = [];
  for (let i = 0; i < input.length; i++) {
    const ch = input[i] ?? "";
    if (ch === "\x1b" && input[i + 1] === "[" && i + 2 < input.length) {
      const code = input[i + 2];
      if (code === "A") keys.push("up");
      if (code === "B") keys.push("down");
      i += 2;
    } else if (ch === "\r" || ch === "\n") keys.push("enter");
    else if (ch === "\x03") keys.push("interrupt");
    else if (ch === "\x7f" || ch === "\b") keys.push("backspace");
    else if (ch >= " ") keys.push({ char: ch });
  }
  return keys;
}

/** The state after one key, or the picked option's index. */
export function applyKey(options: readonly string[], state: SelectState, key: Key): SelectState | { picked: number } {
  const visible = filtered(options, state.filter);
  if (key === "up") return { ...state, cursor: (state.cursor - 1 + visible.length) % Math.max(visible.length, 1) };
  if (key === "down") return { ...state, cursor: (state.cursor + 1) % Math.max(visible.length, 1) };
  if (key === "enter") {
    const picked = visible[state.cursor];
    return picked === undefined ? state : { picked };
  }
  if (key === "backspace") return { filter: state.filter.slice(0, -1), cursor: 0 };
  if (key === "interrupt") return state;
  return { filter: state.filter + key.char, cursor: 0 };
}

export class InterruptError extends Error {
  constructor() {
    super("interrupt");
  }
}

/** Asks on the terminal; resolves with the index of the picked option. */
export function select(message: string, options: readonly string[], input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stdout): Promise<number> {
  if (!input.isTTY) return Promise.reject(new Error("inappropriate ioctl for device"));
  return new Promise((resolve, reject) => {
    let state: SelectState = { filter: "", cursor: 0 };
    let drawnLines = 0;
    const draw = (text: string) => {
      output.write(`${drawnLines > 0 ? `\r\x1b[${drawnLines}A\x1b[J` : ""}${text}`);
      drawnLines = text.split("\n").length - 1;
    };
    const finish = (err: Error | undefined, picked = -1) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      output.write(SHOW_CURSOR);
      if (err) reject(err);
      else resolve(picked);
    };
    const onData = (chunk: Buffer) => {
      for (const key of parseKeys(chunk.toString("utf8"))) {
        if (key === "interrupt") {
          draw("");
          finish(new InterruptError());
          return;
        }
        const next = applyKey(options, state, key);
        if ("picked" in next) {
          draw(renderAnswer(message, options[next.picked] ?? ""));
          finish(undefined, next.picked);
          return;
        }
        state = next;
      }
      draw(renderQuestion(message, options, state));
    };
    input.setRawMode(true);
    input.resume();
    input.on("data", onData);
    output.write(HIDE_CURSOR);
    draw(renderQuestion(message, options, state));
  });
}
