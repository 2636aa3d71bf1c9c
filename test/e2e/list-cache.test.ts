// `limactl ls` answers from the filled-config cache beside lima.yaml, and never from a stale one.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { LimaHome } from "../helpers/limactl.js";

const home = new LimaHome();
const dir = path.join(home.dir, "c");
const limaYAML = path.join(dir, "lima.yaml");

async function cpus(): Promise<string> {
  const res = await home.limactl(["ls", "--format", "{{.CPUs}}", "c"]);
  assert.equal(res.code, 0, res.stderr);
  return res.stdout.trim();
}

describe("list with the filled-config cache", () => {
  before(async () => {
    const res = await home.limactl(["create", "--name", "c", "-"], { input: "images: [{location: /etc/profile}]\ncpus: 2\n" });
    assert.equal(res.code, 0, res.stderr);
  });
  after(() => home.cleanup());

  it("stores the filled configuration on the first list", async () => {
    assert.equal(await cpus(), "2");
    assert.ok(existsSync(path.join(dir, ".lima.yaml.filled.json")));
  });

  it("sees an edit that keeps the size and the mtime of lima.yaml", async () => {
    const { atime, mtime } = statSync(limaYAML);
    writeFileSync(limaYAML, readFileSync(limaYAML, "utf8").replace("cpus: 2", "cpus: 4"));
    utimesSync(limaYAML, atime, mtime);
    assert.equal(await cpus(), "4");
  });

  it("sees a new _config/override.yaml", async () => {
    mkdirSync(path.join(home.dir, "_config"), { recursive: true });
    writeFileSync(path.join(home.dir, "_config", "override.yaml"), "cpus: 6\n");
    assert.equal(await cpus(), "6");
  });
});
