// A one-line progress bar on stderr: `<description> 45.2 MiB / 300 MiB [=====>    ] 15% 12.3 MiB/s`.
import { Transform, type TransformCallback } from "node:stream";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
const BAR_WIDTH = 30;
const REFRESH_MS = 200;

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 ? String(value) : value.toFixed(1).replace(/\.0$/, "");
  return `${text} ${UNITS[unit]}`;
}

/** Pure rendering; `total` <= 0 means unknown size (no bar, no percentage). */
export function renderProgress(description: string, done: number, total: number, bytesPerSecond: number): string {
  const speed = `${formatBytes(Math.round(bytesPerSecond))}/s`;
  if (total <= 0) return `${description} ${formatBytes(done)} ${speed}`;
  const fraction = Math.min(1, done / total);
  const filled = Math.floor(fraction * BAR_WIDTH);
  const bar = filled >= BAR_WIDTH ? "=".repeat(BAR_WIDTH) : `${"=".repeat(filled)}>${" ".repeat(BAR_WIDTH - filled - 1)}`;
  return `${description} ${formatBytes(done)} / ${formatBytes(total)} [${bar}] ${Math.floor(fraction * 100)}% ${speed}`;
}

/** A pass-through stream that redraws the bar as bytes flow through it. */
export class ProgressStream extends Transform {
  private done = 0;
  private lastDraw = 0;
  private readonly started = Date.now();

  constructor(
    private readonly description: string,
    private readonly total: number,
    private readonly out: { write(text: string): unknown } = process.stderr,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.done += chunk.length;
    if (Date.now() - this.lastDraw >= REFRESH_MS) this.draw();
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.draw();
    this.out.write("\n");
    callback();
  }

  private draw(): void {
    this.lastDraw = Date.now();
    const seconds = Math.max(0.001, (this.lastDraw - this.started) / 1000);
    this.out.write(`\r${renderProgress(this.description, this.done, this.total, this.done / seconds)}\x1b[K`);
  }
}

/** The bar only when asked for and stderr is a terminal. */
export function progressStream(enabled: boolean, description: string, total: number): ProgressStream | undefined {
  return enabled && process.stderr.isTTY ? new ProgressStream(description, total) : undefined;
}
