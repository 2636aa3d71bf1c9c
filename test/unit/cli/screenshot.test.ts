// `limactl screenshot -o PATH`: the extension picks the format, as in Lima.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { screenshotFormat } from "../../../src/cli/commands/screenshot.js";

describe("screenshotFormat", () => {
  it("takes .png and .bmp in any case", () => {
    assert.equal(screenshotFormat("default-screenshot.png"), "png");
    assert.equal(screenshotFormat("/tmp/A.PNG"), "png");
    assert.equal(screenshotFormat("shot.Bmp"), "bmp");
  });

  it("refuses other extensions and none, with Lima's message", () => {
    assert.throws(() => screenshotFormat("shot.jpg"), { message: 'unsupported output extension ".jpg": must be .png or .bmp' });
    assert.throws(() => screenshotFormat("shot"), { message: 'unsupported output extension "": must be .png or .bmp' });
  });
});
