import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runYq } from "./runyq.js";

const yq = runYq;

describe("limactl yq", () => {
  it("--version", async () => {
    const r = await yq(["--version"]);
    assert.equal(r.stdout, "yq (https://github.com/mikefarah/yq/) version v4.53.3\n");
    assert.match(r.stdout, /^yq .*mikefarah.* version v/);
  });
  it("-n .foo=42", async () => {
    assert.deepEqual(await yq(["-n", ".foo=42"]), { code: 0, stdout: "foo: 42\n", stderr: "" });
  });
  it("--from-file loads the expression (how the boot script runs `mode: yq` provisions)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yq-from-file-"));
    const expr = join(dir, "expr");
    writeFileSync(expr, '.greeting.to = "lima"');
    assert.deepEqual(await yq(["--null-input", "--from-file", expr, "--output-format", "yaml"]), { code: 0, stdout: "greeting:\n  to: lima\n", stderr: "" });
    const target = join(dir, "t.yaml");
    writeFileSync(target, "a: 1\n");
    assert.equal((await yq(["--inplace", "--from-file", expr, "--input-format", "yaml", "--output-format", "yaml", target])).code, 0);
    assert.equal(readFileSync(target, "utf8"), "a: 1\ngreeting:\n  to: lima\n");
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

  // Behaviours checked against yq's acceptance tests and printer (v4.53.3).
  it("a literal has no document: no --- between results over several documents", async () => {
    assert.equal((await yq(['"x"'], "a: 1\n---\na: 2\n")).stdout, "x\nx\n");
    assert.equal((await yq(["true"], "a: 1\n---\na: 2\n")).stdout, "true\ntrue\n");
    // Results from a document and literals interleave as yq prints them.
    assert.equal((await yq(['.a, "x"'], "a: 1\n---\na: 2\n")).stdout, "1\nx\n---\n2\n---\nx\n");
  });
  it("-N drops separators; json output never has them", async () => {
    assert.equal((await yq(["-N", ".a"], "a: 1\n---\na: 2\n")).stdout, "1\n2\n");
    assert.equal((await yq(["-o", "json", "-I", "0", "."], "a: 1\n---\na: 2\n")).stdout, '{"a":1}\n{"a":2}\n');
  });
  it("keeps a leading --- and the comments before it, only for the first document", async () => {
    const input = "# hi peeps\n# cool\n---\na: test\n---\nb: cool\n";
    assert.equal((await yq(["."], input)).stdout, input);
    assert.equal((await yq(["eval-all", "select(di == 1)"], input)).stdout, "b: cool\n");
    assert.equal((await yq([".a"], input)).stdout, "test\n---\nnull\n");
  });
  it("a trailing comment follows the content directly", async () => {
    assert.equal((await yq(["."], "a: 1\n# trailing\n")).stdout, "a: 1\n# trailing\n");
  });
  it("separates the documents of different files, and eval-all reads them all", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yq-test-"));
    writeFileSync(join(dir, "a.yml"), "a: 123\n");
    writeFileSync(join(dir, "b.yml"), "a: 124\n");
    const expected = "a: 123\n---\na: 124\n";
    assert.equal((await yq([join(dir, "a.yml"), join(dir, "b.yml")])).stdout, expected);
    assert.equal((await yq(["ea", join(dir, "a.yml"), join(dir, "b.yml")])).stdout, expected);
    assert.equal((await yq(["ea", "[.a]", join(dir, "a.yml"), join(dir, "b.yml")])).stdout, "- 123\n---\n- 124\n");
  });
  it("-i on a multi-document file keeps every document", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yq-test-"));
    const file = join(dir, "x.yaml");
    writeFileSync(file, "# first\na: 1\n---\na: 2 # two\n");
    assert.equal((await yq(["-i", ".a += 10", file])).code, 0);
    assert.equal(readFileSync(file, "utf8"), "# first\na: 11\n---\na: 12 # two\n");
  });
  it("reads a stream of JSON values as documents", async () => {
    assert.equal((await yq(["-p", "json", "-o", "json", "-I", "0", "."], '{\n  "a": 1\n}\n{"b": [2, "x}"]}\n')).stdout, '{"a":1}\n{"b":[2,"x}"]}\n');
  });
  it("-C colours like yq, -M and NO_COLOR do not", async () => {
    assert.equal((await yq(["-C", "."], "a: cat\nb: 1\n")).stdout, "\x1b[36ma\x1b[0m:\x1b[32m cat\x1b[0m\x1b[36m\x1b[0m\n\x1b[36mb\x1b[0m:\x1b[95m 1\x1b[0m\n");
    assert.equal((await yq(["-M", "."], "a: cat\n")).stdout, "a: cat\n");
    assert.equal((await yq(["."], "a: cat\n", { NO_COLOR: "1" })).stdout, "a: cat\n");
    // Unwrapped scalars are never coloured.
    assert.equal((await yq(["-C", ".a"], "a: cat\n")).stdout, "cat\n");
  });
  it("-V prints yq's version line", async () => {
    assert.equal((await yq(["-V"])).stdout, "yq (https://github.com/mikefarah/yq/) version v4.53.3\n");
  });
});
