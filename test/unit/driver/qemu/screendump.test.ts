// BMP screenshots built from QEMU's PPM screendump.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parsePPM, ppmToBMP } from "../../../../src/driver/qemu/screendump.js";

/** A 2x2 P6 image: red, green / blue, white (with a comment, as PPM allows). */
const PPM = Buffer.concat([Buffer.from("P6\n# from QEMU\n2 2\n255\n", "latin1"), Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])]);

describe("ppmToBMP", () => {
  it("parses a binary PPM", () => {
    const img = parsePPM(PPM);
    assert.deepEqual([img.width, img.height, img.pixels.length], [2, 2, 12]);
  });

  it("writes a 24-bit BMP: headers, BGR pixels, bottom row first, rows padded to 4 bytes", () => {
    const bmp = ppmToBMP(PPM);
    const rowBytes = 8; // 2 pixels * 3 bytes, padded to 4
    assert.equal(bmp.subarray(0, 2).toString("latin1"), "BM");
    assert.equal(bmp.readUInt32LE(2), bmp.length);
    assert.equal(bmp.length, 54 + 2 * rowBytes);
    assert.equal(bmp.readUInt32LE(10), 54);
    assert.deepEqual([bmp.readUInt32LE(14), bmp.readInt32LE(18), bmp.readInt32LE(22), bmp.readUInt16LE(26), bmp.readUInt16LE(28)], [40, 2, 2, 1, 24]);
    assert.deepEqual([...bmp.subarray(54, 54 + rowBytes)], [255, 0, 0, 255, 255, 255, 0, 0]);
    assert.deepEqual([...bmp.subarray(54 + rowBytes)], [0, 0, 255, 0, 255, 0, 0, 0]);
  });

  it("refuses what is not an 8-bit binary PPM, or is cut short", () => {
    assert.throws(() => ppmToBMP(Buffer.from("P3\n1 1\n255\n0 0 0\n")), /not a binary PPM/);
    assert.throws(() => ppmToBMP(Buffer.from("P6\n1 1\n65535\n")), /unsupported PPM maximum value 65535/);
    assert.throws(() => ppmToBMP(Buffer.from("P6\n2 2\n255\n\x00\x00")), /truncated PPM image/);
  });
});
