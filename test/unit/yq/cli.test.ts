import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { runYqCLI } from "../../../src/yq/index.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function yq(args: string[], input = "", env: Record<string, string> = {}): Promise<Run> {
  const stdin = new PassThrough();
  stdin.end(input);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (b: Buffer) => out.push(b));
  stderr.on("data", (b: Buffer) => err.push(b));
  const code = await runYqCLI(args, { stdin, stdout, stderr, env });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe("limactl yq", () => {
  it("--version", async () => {
    const r = await yq(["--version"]);
    assert.equal(r.stdout, "yq (https://github.com/mikefarah/yq/) version v4.53.3\n");
    assert.match(r.stdout, /^yq .*mikefarah.* version v/);
  });
  it("-n .foo=42", async () => {
    assert.deepEqual(await yq(["-n", ".foo=42"]), { code: 0, stdout: "foo: 42\n", stderr: "" });
  });
  it("-n -o json -I 0", async () => {
    assert.equal((await yq(["-n", "-o", "json", "-I", "0", ".foo=42"])).stdout, '{"foo":42}\n');
  });
  it("json output is indented by 2 by default; -j is -o json", async () => {
    assert.equal((await yq(["-j", "."], "a: [1]\n")).stdout, '{\n  "a": [\n    1\n  ]\n}\n');
    assert.equal((await yq(["-o=json", "-I=4", "."], "a: 1\n")).stdout, '{\n    "a": 1\n}\n');
  });
  it("evaluates against empty stdin like a null document", async () => {
    assert.equal((await yq([".foo=42"], "\n")).stdout, "foo: 42\n");
  });
  it("unwraps scalars in yaml output, quotes strings in json unless -r", async () => {
    assert.equal((await yq([".a"], "a: hello\n")).stdout, "hello\n");
    assert.equal((await yq(["-o", "json", ".a"], "a: hello\n")).stdout, '"hello"\n');
    assert.equal((await yq(["-r", "-o", "json", ".a"], "a: hello\n")).stdout, "hello\n");
  });
  it("reads JSON input with -p json", async () => {
    assert.equal((await yq(["-p", "json", ".a.b"], '{"a":{"b":[1,2]}}')).stdout, "- 1\n- 2\n");
  });
  it("preserves comments and indents sequences like yq", async () => {
    const r = await yq([".b = 2"], "# head\na: [1, 2] # inline\nc:\n- x\n");
    assert.equal(r.stdout, "# head\na: [1, 2] # inline\nc:\n  - x\nb: 2\n");
  });
  it("separates results of different documents with ---", async () => {
    assert.equal((await yq([".a"], "a: 1\n---\na: 2\n")).stdout, "1\n---\n2\n");
    assert.equal((await yq(["eval-all", "select(di == 1)"], "a: 1\n---\nb: 2\n")).stdout, "b: 2\n");
  });
  it("explicit eval subcommand and files as arguments", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yq-test-"));
    const file = join(dir, "x.yaml");
    writeFileSync(file, "a: 1\n");
    assert.equal((await yq(["e", ".a", file])).stdout, "1\n");
    assert.equal((await yq([file])).stdout, "a: 1\n");
  });
  it("-i edits the file in place", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yq-test-"));
    const file = join(dir, "x.yaml");
    writeFileSync(file, "# keep\na: 1\n");
    const r = await yq(["-i", ".a = 2 | .b = [\"x\"]", file]);
    assert.equal(r.stdout, "");
    assert.equal(readFileSync(file, "utf8"), "# keep\na: 2\nb:\n  - x\n");
  });
  it("env() is allowed unless --security-disable-env-ops", async () => {
    assert.equal((await yq(["-n", "env(FOO)"], "", { FOO: "bar" })).stdout, "bar\n");
    assert.equal((await yq(["-n", ".n = env(N)"], "", { N: "42" })).stdout, "n: 42\n");
    assert.equal((await yq(["-n", ".s = strenv(N)"], "", { N: "42" })).stdout, 's: "42"\n');
    const r = await yq(["-n", "--security-disable-env-ops", "env(FOO)"], "", { FOO: "bar" });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "Error: env operations have been disabled\n");
  });
  it("syntax errors exit 1 with 'invalid input'", async () => {
    const r = await yq(["-n", "foo"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: .*invalid input/);
  });
  it("system() is disabled", async () => {
    const r = await yq(["-n", 'system("id")']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /system operations are disabled/);
  });
  it("-e fails when nothing truthy was printed", async () => {
    assert.equal((await yq(["-e", ".a"], "a: 1\n")).code, 0);
    const r = await yq(["-e", ".b"], "a: 1\n");
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "Error: no matches found\n");
  });
  it("-P pretty prints flow collections as blocks", async () => {
    assert.equal((await yq(["-P", "."], '{"a": [1, "x"]}')).stdout, "a:\n  - 1\n  - x\n");
  });
  it("combined short flags", async () => {
    assert.equal((await yq(["-nr", '"a" + "b"'])).stdout, "ab\n");
  });
  it("reports unknown flags and bad input files", async () => {
    assert.equal((await yq(["--bogus", "."])).code, 1);
    const r = await yq(["."], "a: [1\n");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: bad file '-'/);
  });
});
