// Sizes as docker/go-units parses and prints them (RAMInBytes / BytesSize): all units binary.
import { LimaError } from "../util/errors.js";

const SIZE = /^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const MULTIPLIERS: Readonly<Record<string, number>> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
const BINARY_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"] as const;

/** go-units RAMInBytes: `1M` = `1MiB` = `1MB` = 1048576; no unit = bytes; fractions allowed. */
export function parseSize(s: string): number {
  const m = SIZE.exec(s);
  const number = m ? Number(m[1]) : Number.NaN;
  if (!m || Number.isNaN(number)) throw new LimaError(`invalid size: '${s}'`);
  const unit = m[3]?.toLowerCase();
  return Math.trunc(number * (unit ? (MULTIPLIERS[unit] ?? 1) : 1));
}

/** go-units BytesSize: Go `%.4g` of the value scaled by 1024, then the binary unit (`1.5GiB`, `3.823GiB`). */
export function bytesSize(n: number): string {
  let size = n;
  let unit = 0;
  while (size >= 1024 && unit < BINARY_UNITS.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${formatG4(size)}${BINARY_UNITS[unit]}`;
}

/** Go `%.4g`: 4 significant digits, trailing zeros dropped, exponent form for large/small magnitudes. */
function formatG4(value: number): string {
  if (value === 0) return "0";
  const exponent = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(4)))));
  if (exponent < -4 || exponent >= 4) {
    const [mantissa = "", exp = "0"] = value.toExponential(3).split("e");
    const sign = exp.startsWith("-") ? "-" : "+";
    return `${stripZeros(mantissa)}e${sign}${exp.replace(/^[+-]/, "").padStart(2, "0")}`;
  }
  return stripZeros(value.toFixed(Math.max(0, 3 - exponent)));
}

function stripZeros(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}
