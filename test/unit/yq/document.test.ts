import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { evaluateExpression } from "../../../src/yq/index.js";

const TEMPLATE = readFileSync(new URL("./fixtures/template.yaml", import.meta.url), "utf8");

/** Lines of `after` that differ from `before`, as a unified-ish list for exact checks. */
function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  const inB = new Map<string, number>();
  for (const line of b) inB.set(line, (inB.get(line) ?? 0) + 1);
  const removed: string[] = [];
  for (const line of a) {
    const n = inB.get(line) ?? 0;
    if (n > 0) inB.set(line, n - 1);
    else removed.push(line);
  }
  const inA = new Map<string, number>();
  for (const line of a) inA.set(line, (inA.get(line) ?? 0) + 1);
  const added: string[] = [];
  for (const line of b) {
    const n = inA.get(line) ?? 0;
    if (n > 0) inA.set(line, n - 1);
    else added.push(line);
  }
  return { removed, added };
}

describe("evaluateExpression round trip", () => {
  it("returns the text unchanged for an empty expression", () => {
    assert.equal(evaluateExpression("", "a:   1\n"), "a:   1\n");
  });
  it("is the identity for del(.nothing) on a commented template", () => {
    assert.equal(evaluateExpression("del(.nothing)", TEMPLATE), TEMPLATE);
  });
  it("is the identity for a no-op assignment", () => {
    assert.equal(evaluateExpression(".vmType = null", TEMPLATE), TEMPLATE);
  });
  it("keeps comments under empty values and trailing comments of nested blocks", () => {
    const text = "a:\n# under a\n\nb:\n  c: 1\n  # nested trailer\n# top-level trailer\nd: 2\n";
    assert.equal(evaluateExpression("del(.x)", text), text);
  });
  it("keeps multiple blank lines and a missing final newline is added", () => {
    assert.equal(evaluateExpression("del(.x)", "a: 1\n\n\nb: 2\n"), "a: 1\n\n\nb: 2\n");
    assert.equal(evaluateExpression("del(.x)", "a: 1"), "a: 1\n");
  });
  it("keeps block scalars byte for byte", () => {
    const text = "script: |\n  #!/bin/sh\n\n  # not a yaml comment\n  echo hi\nnext: 1\n";
    assert.equal(evaluateExpression(".next = 2", text), text.replace("next: 1", "next: 2"));
  });
  it("works on empty input", () => {
    assert.equal(evaluateExpression(".foo = 42", ""), "foo: 42\n");
  });
  it("reports YAML syntax errors", () => {
    assert.throws(() => evaluateExpression(".a = 1", "a: [1\n"), /yaml/);
  });
  it("reports expression syntax errors", () => {
    assert.throws(() => evaluateExpression("foo", TEMPLATE), /invalid input text/);
  });
  it("rejects env access", () => {
    assert.throws(() => evaluateExpression(".a = env(HOME)", TEMPLATE), /env operations have been disabled/);
  });
});

describe("edit-flag expressions on a commented template", () => {
  const edit = (expression: string): { removed: string[]; added: string[]; text: string } => {
    const text = evaluateExpression(expression, TEMPLATE);
    return { ...changedLines(TEMPLATE, text), text };
  };

  it("--cpus", () => {
    const { removed, added, text } = edit(".cpus = 4");
    assert.deepEqual(removed, ["cpus: null"]);
    assert.deepEqual(added, ["cpus: 4"]);
    assert.match(text, /# 🟢 Builtin default: min\(4, host CPU cores\)\ncpus: 4\n/);
  });
  it("--memory keeps the inline comment", () => {
    assert.deepEqual(edit('.memory = "2GiB"').added, ['memory: 2GiB  # e.g. "4GiB"']);
  });
  it("--disk", () => {
    assert.deepEqual(edit('.disk= "10GiB"').added, ["disk: 10GiB"]);
  });
  it("--mount prepends block-style items", () => {
    const { removed, text } = edit('.mounts = [{"location": "/x", "mountPoint": "/x", "writable": true}] + .mounts');
    assert.deepEqual(removed, []);
    assert.match(text, /\nmounts:\n- location: \/x\n  mountPoint: \/x\n  writable: true\n- location: "~"\n  # Configure the mountPoint inside the guest.\n  mountPoint: null\n/);
  });
  it("--mount-none", () => {
    const { added, text } = edit(".mounts = null");
    assert.deepEqual(added, ["mounts: null"]);
    assert.doesNotMatch(text, /location: "~"/);
    assert.match(text, /# Expose host directories to the guest.\nmounts: null\n/);
  });
  it("--mount-type and --vm-type", () => {
    assert.deepEqual(edit('.mountType = "9p" | .vmType = "vz"').added, ["vmType: vz", "mountType: 9p"]);
  });
  it("--mount-writable", () => {
    const { removed, added } = edit(".mounts[].writable = true");
    assert.deepEqual(removed, ["  writable: null"]);
    assert.deepEqual(added, ["  writable: true"]);
  });
  it("--network appends and de-duplicates", () => {
    const once = evaluateExpression('.networks += [{"lima": "user-v2"}] | .networks |= unique_by(.lima)', TEMPLATE);
    const twice = evaluateExpression('.networks += [{"lima": "user-v2"}] | .networks |= unique_by(.lima)', once);
    assert.deepEqual(changedLines(TEMPLATE, twice).added, ["- lima: user-v2"]);
    assert.match(twice, /\nnetworks:\n- lima: user-v2\n/);
  });
  it("--dns", () => {
    const { added, text } = edit('.dns += ["1.1.1.1"] | .dns |= unique | .hostResolver.enabled=false');
    assert.deepEqual(added, ["  enabled: false", "dns:", "- 1.1.1.1"]);
    assert.match(text, /  hosts:\n    # guest.name: 127.1.1.1\n/);
  });
  it("--rosetta", () => {
    const { added, text } = edit(".vmOpts.vz.rosetta.enabled = true | .vmOpts.vz.rosetta.binfmt = true");
    assert.deepEqual(added, ["      enabled: true", "      binfmt: true"]);
    assert.match(text, /      # Enable Rosetta for Linux.\n      enabled: true\n/);
  });
  it("--param", () => {
    assert.deepEqual(edit('.param["NAME"] = "VALUE"').added, ["  NAME: VALUE"]);
  });
  it("--image-variant keeps the matching images with their quoting", () => {
    const { text } = edit('.images = [.images[] | select(.variant == "minimal")]');
    assert.match(text, /\nimages:\n- location: "https:\/\/example.com\/releases\/noble-arm64.img"\n  arch: "aarch64"\n  variant: "minimal"\n\n# CPUs\n/);
    assert.doesNotMatch(text, /daily/);
  });
  it("--containerd", () => {
    assert.deepEqual(edit(".containerd.user = true | .containerd.system = false").added, ["  system: false", "  user: true"]);
  });
  it("--port-forward emits string ports quoted", () => {
    const { removed, added } = edit('.portForwards += [{"guestPort": "8080", "hostPort": "8080", "static": false}]');
    assert.deepEqual(removed, ["portForwards: []"]);
    assert.deepEqual(added, ["portForwards:", '- guestPort: "8080"', '  hostPort: "8080"', "  static: false"]);
  });
  it("--shell creates a new map at the end, before trailing comments", () => {
    const { text } = edit('.user.shell = "/bin/zsh"');
    assert.match(text, /\nenv: \{\}\nuser:\n  shell: \/bin\/zsh\n\n# =+ #\n# END OF TEMPLATE\n/);
  });
  it("--video and --ssh-port", () => {
    assert.deepEqual(edit('.video.display = "none" | .ssh.localPort = 2222').added, ["  localPort: 2222", "  display: none"]);
  });
  it("--set with several expressions joined by |", () => {
    const { added } = edit('.cpus = 2 | .memory = "1.5GiB" | .disk= "100GiB" | .plain = true');
    assert.deepEqual(added, ["cpus: 2", 'memory: 1.5GiB  # e.g. "4GiB"', "disk: 100GiB", "plain: true"]);
  });
  it("del of selected sequence items drops their comments", () => {
    const { removed, text } = edit('del(.mounts[] | select(.location == "~"))');
    assert.deepEqual(removed, ['- location: "~"', "  # Configure the mountPoint inside the guest.", "  mountPoint: null", "  writable: null"]);
    assert.match(text, /\nmounts:\n- location: "\/tmp\/lima"\n/);
  });
  it("del of a top-level key keeps the section break", () => {
    const text = "a: 1\n\n# about b\nb: 2\n\n# about c\nc: 3\n";
    assert.equal(evaluateExpression("del(.b)", text), "a: 1\n\n# about c\nc: 3\n");
  });
  it("prints non-root results as YAML", () => {
    assert.equal(evaluateExpression(".ssh", TEMPLATE), "# A localhost port of the host.\nlocalPort: null\nloadDotSSHPubKeys: null\n");
    assert.equal(evaluateExpression(".cpus", TEMPLATE), "null\n");
  });
  it("uses indentless sequences for new nested lists", () => {
    assert.equal(evaluateExpression('.a.b = ["x", "y"]', "{}\n"), "a:\n  b:\n  - x\n  - y\n");
  });
});
