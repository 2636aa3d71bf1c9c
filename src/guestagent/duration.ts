// Go's time.ParseDuration, for `--tick` ("250ms", "3s", "1m30s", "1.5h").
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Milliseconds; throws Go's message on bad input. */
export function parseGoDuration(text: string): number {
  const invalid = (): Error => new Error(`time: invalid duration ${JSON.stringify(text)}`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw invalid();
  let ns = 0;
  while (rest !== "") {
    const m = /^(\d+\.?\d*|\.\d+)([^\d.]*)/.exec(rest);
    if (!m || m[1] === ".") throw invalid();
    const unit = m[2] ?? "";
    if (unit === "") throw new Error(`time: missing unit in duration ${JSON.stringify(text)}`);
    const scale = UNIT_NS[unit];
    if (scale === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`);
    ns += Number(m[1]) * scale;
    rest = rest.slice(m[0].length);
  }
  return (sign * ns) / 1e6;
}
