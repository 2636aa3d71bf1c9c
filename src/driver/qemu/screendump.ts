// Screenshots of a QEMU VM: QMP `screendump` writes PNG or PPM (QEMU ≥ 7.1 takes `format`);
// Lima also offers BMP, which is built here from the PPM.
import { LimaError } from "../../util/errors.js";

const FILE_HEADER_BYTES = 14;
const INFO_HEADER_BYTES = 40;
const BITS_PER_PIXEL = 24;
/** 72 DPI in pixels per metre, what most writers put in BMP headers. */
const PIXELS_PER_METRE = 2835;

interface PPMImage {
  width: number;
  height: number;
  /** RGB triplets, top row first. */
  pixels: Buffer;
}

/** A binary (P6) PPM with 8-bit samples, as QEMU's screendump writes it. */
export function parsePPM(data: Buffer): PPMImage {
  const fields: number[] = [];
  let pos = 2;
  if (data.subarray(0, 2).toString("latin1") !== "P6") throw new LimaError("screendump: not a binary PPM (P6) image");
  while (fields.length < 3) {
    while (pos < data.length && /\s/.test(String.fromCharCode(data[pos] ?? 0))) pos++;
    if (data[pos] === 0x23) {
      while (pos < data.length && data[pos] !== 0x0a) pos++;
      continue;
    }
    const start = pos;
    while (pos < data.length && (data[pos] ?? 0) >= 0x30 && (data[pos] ?? 0) <= 0x39) pos++;
    if (start === pos) throw new LimaError("screendump: malformed PPM header");
    fields.push(Number(data.subarray(start, pos).toString("latin1")));
  }
  const [width = 0, height = 0, maxval = 0] = fields;
  if (maxval !== 255) throw new LimaError(`screendump: unsupported PPM maximum value ${maxval}`);
  const pixels = data.subarray(pos + 1, pos + 1 + width * height * 3);
  if (pixels.length !== width * height * 3) throw new LimaError("screendump: truncated PPM image");
  return { width, height, pixels };
}

/** A 24-bit uncompressed BMP: BGR pixels, rows bottom-up, each padded to 4 bytes. */
export function ppmToBMP(ppm: Buffer): Buffer {
  const { width, height, pixels } = parsePPM(ppm);
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const offset = FILE_HEADER_BYTES + INFO_HEADER_BYTES;
  const out = Buffer.alloc(offset + rowBytes * height);
  out.write("BM", 0, "latin1");
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(INFO_HEADER_BYTES, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(BITS_PER_PIXEL, 28);
  out.writeUInt32LE(rowBytes * height, 34);
  out.writeInt32LE(PIXELS_PER_METRE, 38);
  out.writeInt32LE(PIXELS_PER_METRE, 42);
  for (let y = 0; y < height; y++) {
    const dst = offset + (height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const src = (y * width + x) * 3;
      out[dst + x * 3] = pixels[src + 2] ?? 0;
      out[dst + x * 3 + 1] = pixels[src + 1] ?? 0;
      out[dst + x * 3 + 2] = pixels[src] ?? 0;
    }
  }
  return out;
}
