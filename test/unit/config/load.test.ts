import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { loadYAML } from "../../../src/config/load.js";
import { captureLog, IMAGE_YAML, tempLimaHome, testContext } from "./helpers.js";

function load(text: string, limaHome = tempLimaHome()) {
  captureLog();
  const filePath = path.join(limaHome, "inst", "lima.yaml");
  return loadYAML(text, filePath, { limaHome, context: testContext({ limaHome, instDir: path.dirname(filePath) }) });
}

describe("loadYAML parsing", () => {
  it("reports YAML syntax errors with file, line and column", () => {
    assert.throws(() => loadYAML("cpus: 2\nmemory: a: b\n", "/x/lima.yaml", { limaHome: tempLimaHome(), context: testContext() }), (err: Error) => {
      assert.match(err.message, /^failed to unmarshal YAML \(main file `\/x\/lima.yaml`\): \[2:9\] /);
      return true;
    });
  });
  it("rejects duplicate keys", () => {
    assert.throws(() => load("cpus: 1\ncpus: 2\n"), /failed to unmarshal YAML \(main file `.*`\): \[2:1\] Map keys must be unique/);
  });
  it("reports type errors with field path, expected type and line", () => {
    assert.throws(() => load(`${IMAGE_YAML}cpus: "four"\n`), {
      message: /^failed to unmarshal YAML \(main file `.*lima\.yaml`\): field `cpus` must be an integer, got string "four" \(lima\.yaml:4\)$/,
    });
  });
  it("reports a scalar where a list is expected", () => {
    assert.throws(() => load("images: foo\n"), { message: /field `images` must be a list, got string "foo" \(lima\.yaml:1\)/ });
  });
  it("reports nested type errors with the full path", () => {
    assert.throws(() => load("mounts:\n- location: /a\n  writable: maybe\n"), { message: /field `mounts\[0\]\.writable` must be a boolean, got string "maybe" \(lima\.yaml:3\)/ });
  });
  it("reports a non-mapping document", () => {
    assert.throws(() => load("- a\n- b\n"), { message: /the document must be a mapping, got a list/ });
  });
  it("accepts numeric strings for ints and numbers for strings", () => {
    const { config } = load(`${IMAGE_YAML}portForwards:\n- guestPort: "8080"\nmemory: 2048\nparam:\n  V: 1.10\nprovision:\n- script: echo {{.Param.V}}\n`);
    assert.equal(config.portForwards?.[0]?.guestPort, 8080);
    assert.equal(config.memory, "2048");
    assert.equal(config.param?.V, "1.10");
    assert.equal(config.provision?.[0]?.script, "echo 1.10");
  });
  it("accepts the string forms of additionalDisks, base and provision file", () => {
    const { config } = load(`${IMAGE_YAML}additionalDisks: [data]\nbase: template://x\nprovision:\n- file: a.sh\n`);
    assert.deepEqual(config.additionalDisks, [{ name: "data", format: true, fsType: "ext4" }]);
    assert.deepEqual(config.base, [{ url: "template://x" }]);
    assert.deepEqual(config.provision?.[0]?.file, { url: "a.sh" });
  });
  it("supports anchors and merge keys", () => {
    const { config } = load(`${IMAGE_YAML}x-common: &m {writable: true}\nmounts:\n- <<: *m\n  location: /a\n`);
    assert.equal(config.mounts?.[0]?.writable, true);
  });
  it("an empty document loads as all defaults", () => {
    assert.equal(load("").config.cpus, 4);
  });
});

describe("loadYAML unknown fields", () => {
  it("warns with file, path, line and a suggestion", () => {
    const { warnings } = load(`${IMAGE_YAML}cpu: 2\nssh:\n  localport: 60022\n`);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? "", /^unknown field `cpu` in main file `.*lima\.yaml` \(lima\.yaml:4\); did you mean `cpus`\?$/);
    assert.match(warnings[1] ?? "", /^unknown field `ssh\.localport` in main file .* \(lima\.yaml:6\); did you mean `ssh\.localPort`\?$/);
  });
  it("names unknown keys inside list items", () => {
    const { warnings } = load(`images:\n- location: /a.img\n  arhc: x86_64\n`);
    assert.match(warnings[0] ?? "", /^unknown field `images\[0\]\.arhc` .*\(lima\.yaml:3\); did you mean `images\[0\]\.arch`\?$/);
  });
  it("gives no suggestion when nothing is close", () => {
    const { warnings } = load(`${IMAGE_YAML}somethingElse: 1\n`);
    assert.match(warnings[0] ?? "", /^unknown field `somethingElse` .*\(lima\.yaml:4\)$/);
  });
  it("logs the warnings", () => {
    const lines = captureLog();
    const limaHome = tempLimaHome();
    loadYAML("cpu: 1\n", path.join(limaHome, "i", "lima.yaml"), { limaHome, context: testContext() });
    assert.ok(lines.some((l) => l.includes("level=warning") && l.includes("unknown field `cpu`")));
  });
  it("does not warn about unknown vmOpts driver keys", () => {
    assert.equal(load(`${IMAGE_YAML}vmOpts:\n  krunkit:\n    foo: 1\n`).warnings.length, 0);
  });
});

describe("loadYAML with _config/default.yaml and override.yaml", () => {
  function home(files: Record<string, string>): string {
    const dir = tempLimaHome();
    mkdirSync(path.join(dir, "_config"));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, "_config", name), text);
    return dir;
  }
  it("mixes default and override in with the right priorities", () => {
    const dir = home({ "default.yaml": "cpus: 3\nmemory: 1GiB\nenv: {A: d}\n", "override.yaml": "memory: 2GiB\nenv: {B: o}\n" });
    const { config } = load(`${IMAGE_YAML}cpus: 1\nmemory: 8GiB\n`, dir);
    assert.equal(config.cpus, 1);
    assert.equal(config.memory, "2GiB");
    assert.deepEqual(config.env, { A: "d", B: "o" });
  });
  it("names the default file in its errors", () => {
    const dir = home({ "default.yaml": "cpus: [\n" });
    assert.throws(() => load(IMAGE_YAML, dir), { message: /^failed to unmarshal YAML \(default file `.*_config\/default\.yaml`\)/ });
  });
  it("lineOf maps filled list indices back to main-file lines", () => {
    const dir = home({ "override.yaml": "images:\n- location: /o.img\n" });
    const loaded = load(`cpus: 2\nimages:\n- location: /y.img\n  arch: x86_64\n`, dir);
    assert.equal(loaded.config.images?.[1]?.location, "/y.img");
    assert.equal(loaded.lineOf("images[1].location"), 3);
    assert.equal(loaded.lineOf("images[1].arch"), 4);
    assert.equal(loaded.lineOf("images[0].location"), undefined);
    assert.equal(loaded.lineOf("cpus"), 1);
  });
});

describe("loadYAML param check", () => {
  it("rejects a param that is not used anywhere", () => {
    assert.throws(() => load(`${IMAGE_YAML}param:\n  FOO: bar\n`), {
      message: "field `param` key `FOO` is not used in any provision, probe, copyToHost, or portForward",
    });
  });
  it("accepts params used as {{.Param.K}} or $PARAM_K, and internal_netplanOptional", () => {
    load(`${IMAGE_YAML}param:\n  A: a\n  B: b\n  internal_netplanOptional: "true"\nprovision:\n- script: echo $PARAM_A\nmounts:\n- location: /x/{{ .Param.B }}\n`);
  });
  it("does not count message as a use", () => {
    assert.throws(() => load(`${IMAGE_YAML}param:\n  A: a\nmessage: "{{.Param.A}}"\n`), /key `A` is not used/);
  });
});
