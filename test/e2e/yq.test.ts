// yq inside limactl: `ls --yq` output, colours on a terminal (as Lima's tests force them with
// _LIMA_OUTPUT_IS_TTY), and the multi-call `yq` binary. Expectations follow Lima's list.bats.
import assert from "node:assert/strict";
import { mkdtempSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { LIMACTL, LimaHome, run } from "../helpers/limactl.js";

const home = new LimaHome();
const ANSI = /\x1b\[[0-9;]*m/g;
const TTY = { _LIMA_OUTPUT_IS_TTY: "1" };

describe("yq in limactl", () => {
  before(async () => {
    for (const [name, disk] of [["foo", "1M"], ["bar", "2M"], ["baz", "3M"]]) {
      const res = await home.limactl(["create", "--name", name ?? "", "-"], { input: `{images: [{location: /etc/profile}], disk: ${disk}}\n` });
      assert.equal(res.code, 0, res.stderr);
    }
  });
  after(() => home.cleanup());

  it("ls --yq prints strings bare and implies JSON", async () => {
    assert.equal((await home.limactl(["ls", "--yq", ".name"])).stdout, "bar\nbaz\nfoo\n");
    const config = await home.limactl(["ls", "baz", "--yq", ".config"]);
    assert.match(config.stdout, /^\{"/);
    assert.equal((await home.limactl(["yq", ".disk"], { input: config.stdout })).stdout, "3M\n");
  });

  it("several --yq are applied in order", async () => {
    assert.equal((await home.limactl(["ls", "foo", "--yq", ".config", "--yq", ".images", "--yq", ".[0].location"])).stdout, "/etc/profile\n");
    const res = await home.limactl(["ls", "--yq", "select(.disk > 1024*1024)", "--yq", 'select(.name | test("z"))', "--yq", ".name"]);
    assert.equal(res.stdout, "baz\n");
  });

  it("--quiet applies --yq and prints the names", async () => {
    assert.equal((await home.limactl(["ls", "--quiet", "--yq", 'select(.name == "foo")'])).stdout, "foo\n");
  });

  it("--yq with --format yaml prints YAML documents", async () => {
    const res = await home.limactl(["ls", "baz", "--yq", ".config", "--format", "yaml"]);
    assert.match(res.stdout, /^disk: 3M$/m);
    assert.equal((await home.limactl(["ls", "foo", "bar", "--format", "yaml", "--yq", ".name"])).stdout, "foo\n---\nbar\n");
  });

  it("JSON to a terminal is coloured, but the same JSON", async () => {
    const plain = (await home.limactl(["ls", "foo", "bar", "--format", "json"])).stdout;
    const colored = (await home.limactl(["ls", "foo", "bar", "--format", "json"], { env: TTY })).stdout;
    assert.ok(colored.includes("\x1b[0m"));
    assert.ok(colored.includes('\x1b[36m    "name"\x1b[0m:\x1b[32m "foo"\x1b[0m'));
    const flat = await home.limactl(["yq", "--input-format", "json", "--output-format", "json", "--indent", "0", "."], { input: colored.replace(ANSI, "") });
    assert.equal(flat.stdout, plain);
  });

  it("YAML to a terminal is coloured, but the same YAML", async () => {
    const json = (await home.limactl(["ls", "foo", "bar", "--format", "json"])).stdout;
    const colored = (await home.limactl(["ls", "foo", "bar", "--format", "yaml"], { env: TTY })).stdout;
    assert.ok(colored.includes("\x1b[0m"));
    const yaml = colored.replace(ANSI, "");
    assert.equal((await home.limactl(["yq", "true"], { input: yaml })).stdout, "true\ntrue\n");
    const converted = await home.limactl(["yq", "--indent", "0", "--input-format", "yaml", "--output-format", "json", "."], { input: yaml });
    assert.equal(converted.stdout, json);
  });

  it("info is coloured on a terminal", async () => {
    const res = await home.limactl(["info", "--yq", ".limaHome"], { env: TTY });
    assert.equal(res.stdout, `${home.dir}\n`);
    const whole = await home.limactl(["info", "--yq", "{\"home\": .limaHome}"], { env: TTY });
    assert.equal(whole.stdout, `{\x1b[36m\x1b[0m\n\x1b[36m    "home"\x1b[0m:\x1b[32m "${home.dir}"\x1b[0m\n}\n`);
  });

  it("a `yq` link to limactl is yq, --version included; limactl's own version is unchanged", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "yq-link-"));
    const yq = path.join(dir, "yq");
    symlinkSync(LIMACTL, yq);
    const line = "yq (https://github.com/mikefarah/yq/) version v4.53.3\n";
    assert.equal((await run(yq, ["--version"])).stdout, line);
    assert.equal((await run(yq, ["-V"])).stdout, line);
    assert.equal((await run(yq, ["-n", ".a = 1"])).stdout, "a: 1\n");
    assert.equal((await run(LIMACTL, ["--version"])).stdout, "limactl version 2.2.0\n");
  });
});
