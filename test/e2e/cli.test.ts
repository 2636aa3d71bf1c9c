// The instance commands that need no VM, run through the real `bin/limactl` as a user would.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { LimaHome } from "../helpers/limactl.js";

const home = new LimaHome();
const fatal = (stderr: string): string => /level=fatal msg="((?:[^"\\]|\\.)*)"/.exec(stderr)?.[1] ?? "";

function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = path.join(d, e);
      out.push(p);
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

describe("limactl without a VM", () => {
  before(async () => {
    const res = await home.limactl(["create", "--name", "foo", "-"], { input: "{images: [{location: /etc/profile}]}\n" });
    assert.equal(res.code, 0, res.stderr);
  });
  after(() => home.cleanup());

  it("create from stdin writes the template bytes, the version and the disk", () => {
    const dir = path.join(home.dir, "foo");
    assert.equal(readFileSync(path.join(dir, "lima.yaml"), "utf8"), "{images: [{location: /etc/profile}]}\n");
    assert.equal(readFileSync(path.join(dir, "lima-version"), "utf8"), "v2.2.0");
    assert.equal(statSync(path.join(dir, "lima-version")).mode & 0o777, 0o444);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.ok(existsSync(path.join(dir, "disk")), "the image became the disk");
  });

  it("list prints Lima's table", async () => {
    const res = await home.limactl(["ls"]);
    assert.equal(res.code, 0);
    const lines = res.stdout.split("\n");
    assert.equal(lines[0], "NAME    STATUS     SSH            VMTYPE    ARCH      CPUS    MEMORY    DISK      DIR");
    assert.match(lines[1] ?? "", /^foo     Stopped    127\.0\.0\.1:0    qemu      x86_64    \d+       \d+(\.\d+)?GiB +100GiB    \//);
  });

  it("list --format json prints one JSON object per line, name first", async () => {
    const res = await home.limactl(["ls", "--format", "json"]);
    assert.equal(res.code, 0);
    const lines = res.stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? "", /^\{"name":"foo","hostname":"lima-foo","status":"Stopped","dir":"/);
    const obj = JSON.parse(lines[0] ?? "{}") as { disk: number; config: { images: { location: string }[] } };
    assert.equal(obj.disk, 100 * 1024 ** 3);
    assert.equal(obj.config.images[0]?.location, "/etc/profile");
  });

  it("list --format with a Go template, and its errors", async () => {
    const ok = await home.limactl(["ls", "--format", "{{.Name}} {{.Status}} {{.VMType}}"]);
    assert.equal(ok.stdout, "foo Stopped qemu\n");
    const bad = await home.limactl(["ls", "--format", "{{.Unknown}}"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /can't evaluate field Unknown in type store\.FormatData/);
  });

  it("list -q, --filter, unknown names", async () => {
    assert.equal((await home.limactl(["ls", "-q"])).stdout, "foo\n");
    assert.equal((await home.limactl(["ls", "-q", "--filter", '.status == "Running"'])).stdout, "");
    assert.equal((await home.limactl(["ls", "-q", "--filter", '.status == "Stopped"'])).stdout, "foo\n");
    const missing = await home.limactl(["ls", "foo", "nope"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /level=warning msg="No instance matching nope found\."/);
    assert.match(missing.stderr, /level=fatal msg="unmatched instances"/);
    assert.match(missing.stdout, /^NAME/);
  });

  it("edit --set rewrites lima.yaml and validates it", async () => {
    const res = await home.limactl(["edit", "foo", "--set", ".cpus = 2"]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /Instance `foo` configuration edited/);
    assert.match(readFileSync(path.join(home.dir, "foo", "lima.yaml"), "utf8"), /cpus: 2/);
    const json = JSON.parse((await home.limactl(["ls", "--json", "foo"])).stdout) as { cpus: number };
    assert.equal(json.cpus, 2);
    const bad = await home.limactl(["edit", "foo", "--set", `.memory = "lots"`], { cwd: home.dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /field `memory` has an invalid value/);
    assert.ok(existsSync(path.join(home.dir, "lima.REJECTED.yaml")), "the rejected buffer is saved in the working directory");
    assert.doesNotMatch(readFileSync(path.join(home.dir, "foo", "lima.yaml"), "utf8"), /lots/, "a rejected edit leaves lima.yaml alone");
  });

  it("clone, protect, refused delete, unprotect, rename, delete", async () => {
    const clone = await home.limactl(["clone", "foo", "bar"]);
    assert.equal(clone.code, 0, clone.stderr);
    assert.equal(clone.stdout, "");
    assert.equal((await home.limactl(["protect", "bar"])).code, 0);
    const del = await home.limactl(["delete", "bar"]);
    assert.equal(del.code, 1);
    assert.equal(fatal(del.stderr), "failed to delete instance `bar`: instance is protected to prohibit accidental removal (Hint: use `limactl unprotect`)");
    assert.ok(existsSync(path.join(home.dir, "bar", "lima.yaml")));
    const again = await home.limactl(["protect", "bar"]);
    assert.match(again.stderr, /Instance `bar` is already protected\. Skipping\./);
    assert.equal((await home.limactl(["unprotect", "bar"])).code, 0);
    assert.equal((await home.limactl(["rename", "bar", "baz"])).code, 0);
    assert.equal((await home.limactl(["ls", "-q"])).stdout, "baz\nfoo\n");
    const gone = await home.limactl(["delete", "baz"]);
    assert.equal(gone.code, 0, gone.stderr);
    assert.match(gone.stderr, /Deleted `baz`/);
    assert.ok(!existsSync(path.join(home.dir, "baz")));
  });

  it("validate reports the file, field and line of every error", async () => {
    const file = path.join(home.dir, "broken.yaml");
    writeFileSync(file, "images:\n- location: /etc/profile\ncpus: four\nmemory: lots\n");
    const res = await home.limactl(["validate", file]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /field `cpus` must be an integer/);
    assert.match(res.stderr, /broken\.yaml:3/);
    const good = path.join(home.dir, "good.yaml");
    writeFileSync(good, "images:\n- location: /etc/profile\n");
    const ok = await home.limactl(["validate", good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /`.*good\.yaml`: OK/);
  });

  const badInputs: [string, string[], string | undefined, RegExp][] = [
    ["an invalid instance name", ["create", "--name", "../x", "-"], "{images: [{location: /etc/profile}]}", /instance name `\.\.\/x` is not a valid identifier/],
    ["a name ending in .yaml", ["create", "--name", "foo.yaml", "-"], "{images: [{location: /etc/profile}]}", /must not end with \.yml or \.yaml suffix/],
    ["a too long name", ["create", "--name", "a".repeat(77), "-"], "{images: [{location: /etc/profile}]}", /greater than maximum length \(76 characters\)/],
    ["a missing template", ["create", "template:does-not-exist"], undefined, /template `does-not-exist\.yaml` not found/],
    ["a missing file", ["create", "/nonexistent/x.yaml"], undefined, /\/nonexistent\/x\.yaml/],
    ["a YAML syntax error", ["create", "--name", "syn", "-"], "images: [\n", /line \d+/],
    ["a wrong type", ["create", "--name", "typ", "-"], "images: foo\n", /field `images` must be a list/],
    ["an unknown vmType", ["create", "--name", "vmt", "-"], "vmType: nope\nimages: [{location: /etc/profile}]\n", /vmType `nope` is not a registered driver/],
    ["an unreachable template URL", ["create", "http://127.0.0.1:9/x.yaml"], undefined, /failed to fetch template `http:\/\/127\.0\.0\.1:9\/x\.yaml`/],
    ["an existing instance", ["create", "--name", "foo", "-"], "{images: [{location: /etc/profile}]}", /instance `foo` already exists/],
  ];
  for (const [what, args, input, message] of badInputs) {
    it(`rejects ${what} with one clear error and leaves LIMA_HOME alone`, async () => {
      const before = snapshot(home.dir);
      const res = await home.limactl(args, input === undefined ? {} : { input });
      assert.equal(res.code, 1, res.stderr);
      assert.equal(res.stderr.split("\n").filter((l) => l.includes("level=fatal")).length, 1, res.stderr);
      assert.match(res.stderr, message);
      assert.deepEqual(snapshot(home.dir), before);
    });
  }

  it("argument errors read as cobra's", async () => {
    const res = await home.limactl(["clone", "foo"]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /`limactl clone` accepts 2 arg\(s\), received 1\./);
    const flag = await home.limactl(["ls", "--nope"]);
    assert.match(flag.stderr, /level=fatal msg="unknown flag: --nope"/);
  });

  it("--version and the lima wrapper", async () => {
    assert.equal((await home.limactl(["--version"])).stdout, "limactl version 2.2.0\n");
    assert.equal((await home.lima(["--version"])).stdout, "limactl version 2.2.0\n");
    const stopped = await home.lima(["true"], { env: { LIMA_INSTANCE: "foo" } });
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /instance `foo` is stopped, run `limactl start foo` to start the instance/);
  });

  it("yq is a yq", async () => {
    assert.equal((await home.limactl(["yq", "-n", ".foo=42"])).stdout, "foo: 42\n");
    assert.equal((await home.limactl(["yq", "-n", "-o", "json", "-I", "0", ".foo=42"])).stdout, '{"foo":42}\n');
  });

  it("template commands", async () => {
    const list = await home.limactl(["create", "--list-templates"]);
    const names = list.stdout.trim().split("\n");
    for (const n of ["default", "ubuntu-24.04", "debian-12", "alpine", "fedora", "docker", "podman", "k8s"]) assert.ok(names.includes(n), n);
    assert.ok(!names.some((n) => n.startsWith("_")));
    const yq = await home.limactl(["template", "yq", "template:docker", ".containerd.user"]);
    assert.equal(yq.code, 0, yq.stderr);
    assert.equal(yq.stdout.trim(), "false");
    const fill = await home.limactl(["template", "copy", "--fill", "template:debian-12", "-"]);
    assert.equal(fill.code, 0, fill.stderr);
    assert.match(fill.stdout, /^minimumLimaVersion: 2\.0\.0\nvmType: qemu\n/m);
  });

  it("completion scripts and candidates", async () => {
    const bash = await home.limactl(["completion", "bash"]);
    assert.match(bash.stdout, /complete -o default -F __limactl_complete limactl/);
    const cands = await home.limactl(["__complete", "shell", ""]);
    assert.equal(cands.stdout, "foo\n:4\n");
  });

  it("start reports why the VM could not start, and leaves nothing running", async () => {
    // No containerd: its archive cannot be downloaded here, and start would fail on that first.
    const edit = await home.limactl(["edit", "foo", "--set", ".containerd.system = false | .containerd.user = false"]);
    assert.equal(edit.code, 0, edit.stderr);
    const res = await home.limactl(["start", "foo"], { env: { QEMU_SYSTEM_X86_64: "/bin/false" }, timeoutMs: 60_000 });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /level=fatal msg=".*ha\.stderr\.log/);
    const json = JSON.parse((await home.limactl(["ls", "--json", "foo"])).stdout) as { status: string };
    assert.equal(json.status, "Stopped");
    assert.ok(!existsSync(path.join(home.dir, "foo", "ha.pid")));
    const last = readFileSync(path.join(home.dir, "foo", "ha.stdout.log"), "utf8").trim().split("\n").at(-1) ?? "{}";
    const ev = JSON.parse(last) as { status: { exiting?: boolean; errors?: string[] } };
    assert.equal(ev.status.exiting, true);
    assert.ok((ev.status.errors ?? []).length > 0);
  });

  it("factory-reset keeps the configuration", async () => {
    const res = await home.limactl(["factory-reset", "foo"]);
    assert.equal(res.code, 0, res.stderr);
    const left = readdirSync(path.join(home.dir, "foo")).sort();
    assert.ok(left.includes("lima.yaml") && left.includes("lima-version"));
    assert.ok(!left.includes("disk"));
  });
});
