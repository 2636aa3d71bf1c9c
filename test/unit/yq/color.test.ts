// yq's colour scheme (its colorizer over goccy/go-yaml tokens): keys cyan, strings green,
// numbers and booleans bright magenta, comments bright black, anchors bright yellow.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { colorize } from "../../../src/yq/index.js";

const strip = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, "");

describe("colorize", () => {
  it("colours JSON like yq's JSON encoder with colours on", () => {
    const json = '{\n    "name": "foo",\n    "cpus": 4,\n    "ok": true,\n    "x": null\n}\n';
    assert.equal(
      colorize(json),
      '{\x1b[36m\x1b[0m\n\x1b[36m    "name"\x1b[0m:\x1b[32m "foo"\x1b[0m,\x1b[36m\x1b[0m\n\x1b[36m    "cpus"\x1b[0m:\x1b[95m 4\x1b[0m,\x1b[36m\x1b[0m\n' +
        '\x1b[36m    "ok"\x1b[0m:\x1b[95m true\x1b[0m,\x1b[36m\x1b[0m\n\x1b[36m    "x"\x1b[0m: null\n}\n',
    );
    assert.equal(strip(colorize(json)), json);
  });
  it("colours YAML keys, values, comments and anchors and keeps the text", () => {
    const yaml = "a: cat # note\nb:\n  - 1\n  - x: 'q'\nc: |\n  line1\n  line2\nd: &anc v\ne: *anc\n";
    const out = colorize(yaml);
    assert.equal(strip(out), yaml);
    assert.ok(out.startsWith("\x1b[36ma\x1b[0m:\x1b[32m cat\x1b[0m\x1b[90m # note\x1b[0m"));
    assert.ok(out.includes("\x1b[93m &anc\x1b[0m\x1b[93m v\x1b[0m"));
    assert.ok(out.includes("\x1b[32m  line1\x1b[0m"));
  });
});
