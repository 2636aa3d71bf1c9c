// bin/limactl answers --version from package.json without loading the bundle, which reports
// src/version.ts: the two must agree.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { it } from "node:test";
import { VERSION } from "../../src/version.js";
import { REPO } from "../helpers/limactl.js";

it("package.json and src/version.ts carry the same version", () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string };
  assert.equal(pkg.version, VERSION);
});
