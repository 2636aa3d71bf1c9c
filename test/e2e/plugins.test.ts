// CLI plugins, the root help and the hidden generate-* commands through the real bin/limactl.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { LIMA_YAML_KEY_ORDER } from "../../src/config/types.js";
import { LimaHome } from "../helpers/limactl.js";

const pluginDir = mkdtempSync(path.join(os.tmpdir(), "lima-plugins-"));
const home = new LimaHome({ PATH: `${pluginDir}:${process.env.PATH ?? ""}` });
after(() => {
  home.cleanup();
  rmSync(pluginDir, { recursive: true, force: true });
});

function plugin(name: string, body: string): string {
  const file = path.join(pluginDir, `limactl-${name}`);
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return file;
}

const echo = plugin("echo-args", `#!/bin/sh\n# <limactl-desc> Prints its arguments </limactl-desc>\nprintf '%s|' "$@"\necho\necho "PATH=$PATH"\nexit 7\n`);
plugin("url-demo", "#!/bin/sh\necho /dev/null\n");
plugin("nodesc", "#!/bin/sh\nexit 0\n");
writeFileSync(path.join(pluginDir, "limactl-notexec"), "#!/bin/sh\n");

describe("CLI plugins", () => {
  it("lists plugins in the help, url-* ones hidden, under Lima's group titles", async () => {
    const r = await home.limactl(["--help"]);
    assert.equal(r.code, 0, r.stderr);
    const plugins = /Available Plugins \(Experimental\):\n((?: {2}.*\n)*)\n/.exec(r.stdout)?.[1];
    // `mcp` is the plugin shipped in libexec/lima (a program without a description, as in Lima).
    assert.equal(plugins, "  echo-args           Prints its arguments\n  mcp                 \n  nodesc              \n");
    assert.match(r.stdout, /^Lima: Linux virtual machines\n\nUsage:\n {2}limactl \[command\]\n/);
    assert.match(r.stdout, /\nBasic Commands:\n {2}create {14}Create an instance of Lima\n {2}delete /);
    assert.match(r.stdout, /\nAdditional Commands:\n {2}completion {10}Generate the autocompletion script for the specified shell\n {2}help {16}Help about any command\n/);
    assert.doesNotMatch(r.stdout, /hostagent|generate-|url-demo|notexec|\n {2}yq /);
  });

  it("runs a plugin with the arguments after its name, Lima's PATH, and its exit status", async () => {
    const r = await home.limactl(["--log-level=debug", "echo-args", "--help", "a b", "-x"]);
    assert.equal(r.code, 7, r.stderr);
    const [args, pathLine] = r.stdout.split("\n");
    assert.equal(args, "--help|a b|-x|");
    const dirs = (pathLine ?? "").replace(/^PATH=/, "").split(":");
    assert.equal(dirs[0], path.dirname(path.resolve("bin/limactl")), "limactl's own directory first");
    assert.ok(dirs.includes(pluginDir), pathLine);
  });

  it("applies the global flags before the plugin name", async () => {
    const r = await home.limactl(["--log-format=xml", "nodesc"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /level=fatal msg="unsupported log-format: `xml`"/);
  });

  it("lists plugins in info with Lima's JSON shape", async () => {
    const r = await home.limactl(["info", "--yq", ".plugins"]);
    assert.equal(r.code, 0, r.stderr);
    const plugins = JSON.parse(r.stdout) as unknown[];
    assert.deepEqual(
      plugins.filter((p) => (p as { path: string }).path.startsWith(pluginDir)),
      [
        { name: "echo-args", path: echo, description: "Prints its arguments" },
        { name: "nodesc", path: path.join(pluginDir, "limactl-nodesc") },
        { name: "url-demo", path: path.join(pluginDir, "limactl-url-demo") },
      ],
    );
  });

  it("answers an unknown command as cobra does, with suggestions", async () => {
    const r = await home.limactl(["lss"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /level=fatal msg="unknown command \\"lss\\" for \\"limactl\\"\\n\\nDid you mean this\?\\n\\tlist\\n"/);
    const none = await home.limactl(["notexec"]);
    assert.match(none.stderr, /msg="unknown command \\"notexec\\" for \\"limactl\\""/);
  });
});

describe("URL-scheme plugins (limactl-url-<scheme>)", () => {
  // Their own PATH directory and home, so the plugin listings above stay as they are.
  const templates = mkdtempSync(path.join(os.tmpdir(), "lima-url-"));
  const home = new LimaHome({ PATH: `${templates}:${process.env.PATH ?? ""}` });
  after(() => {
    home.cleanup();
    rmSync(templates, { recursive: true, force: true });
  });
  const urlPlugin = (scheme: string, body: string): string => {
    const file = path.join(templates, `limactl-url-${scheme}`);
    writeFileSync(file, body);
    chmodSync(file, 0o755);
    return file;
  };
  writeFileSync(path.join(templates, "target.yaml"), "# from the url plugin\ncpus: 3\n");
  urlPlugin("tmpl", `#!/bin/sh\necho "${templates}/$1.yaml"\n`);
  urlPlugin("chain", '#!/bin/sh\necho "tmpl:$1"\n');
  urlPlugin("loopa", '#!/bin/sh\necho "loopb:$1"\n');
  urlPlugin("loopb", '#!/bin/sh\necho "loopa:$1"\n');
  const failing = urlPlugin("broken", "#!/bin/sh\necho 'no such template' >&2\nexit 3\n");

  it("resolves a scheme through its plugin's stdout, following chains of schemes", async () => {
    const direct = await home.limactl(["template", "url", "tmpl:target"]);
    assert.equal(direct.code, 0, direct.stderr);
    assert.equal(direct.stdout, `${templates}/target.yaml\n`);
    const chained = await home.limactl(["template", "url", "chain:target"]);
    assert.equal(chained.stdout, `${templates}/target.yaml\n`);
  });

  it("reads the template the plugin points at", async () => {
    const r = await home.limactl(["template", "copy", "--verbatim", "chain:target", "-"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "# from the url plugin\ncpus: 3\n");
  });

  it("reports a redirect loop and a failing plugin with its stderr", async () => {
    const loop = await home.limactl(["template", "url", "loopa:x"]);
    assert.equal(loop.code, 1);
    assert.match(loop.stderr, /level=fatal msg="custom locator `loopa:x` has a redirect loop"/);
    const broken = await home.limactl(["template", "copy", "broken:x", "-"]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, new RegExp(`level=fatal msg="command \`${failing} x\` failed: no such template"`));
  });

  it("leaves a scheme without a plugin alone", async () => {
    const r = await home.limactl(["template", "url", "noplugin:x"]);
    assert.equal(r.stdout, "noplugin:x\n");
  });
});

describe("generate-jsonschema and generate-doc", () => {
  it("prints a JSON schema with every top-level lima.yaml field", async () => {
    const r = await home.limactl(["generate-jsonschema"]);
    assert.equal(r.code, 0, r.stderr);
    const schema = JSON.parse(r.stdout) as { $ref: string; $defs: Record<string, { properties: Record<string, unknown> }> };
    assert.equal(schema.$ref, "#/$defs/LimaYAML");
    assert.deepEqual(Object.keys(schema.$defs.LimaYAML?.properties ?? {}).sort(), [...LIMA_YAML_KEY_ORDER].sort());
  });

  it("checks files against the schema it writes to --schemafile", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lima-schema-"));
    try {
      const good = path.join(dir, "good.yaml");
      const bad = path.join(dir, "bad.yaml");
      writeFileSync(good, readFileSync("share/lima/templates/default.yaml"));
      writeFileSync(bad, "cpus: four\nmemroy: 4GiB\n");
      const schemafile = path.join(dir, "schema.json");
      const ok = await home.limactl(["generate-jsonschema", "--schemafile", schemafile, good]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stderr, /level=info msg=".*good.yaml`: OK"/);
      assert.ok(existsSync(schemafile));
      const failed = await home.limactl(["generate-jsonschema", "--schemafile", schemafile, bad]);
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /- at '\/cpus': got string, want integer/);
      assert.match(failed.stderr, /additional properties 'memroy' not allowed/);
      const noFile = await home.limactl(["generate-jsonschema", good]);
      assert.match(noFile.stderr, /msg="need --schemafile to validate"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes man pages and docsy markdown for the command tree", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lima-doc-"));
    try {
      const man = await home.limactl(["generate-doc", path.join(dir, "man")]);
      assert.equal(man.code, 0, man.stderr);
      for (const page of ["lima.1", "limactl.1", "limactl-create.1", "limactl-template-copy.1"]) assert.ok(existsSync(path.join(dir, "man", page)), page);
      assert.ok(!existsSync(path.join(dir, "man", "limactl-hostagent.1")), "hidden commands have no page");
      assert.match(readFileSync(path.join(dir, "man", "limactl-create.1"), "utf8"), /\.SH NAME\nlimactl\\-create \\- Create an instance of Lima/);
      const docsy = await home.limactl(["generate-doc", "--type", "docsy", path.join(dir, "docsy")]);
      assert.equal(docsy.code, 0, docsy.stderr);
      assert.match(readFileSync(path.join(dir, "docsy", "limactl_template_copy.md"), "utf8"), /^---\ntitle: template copy\nweight: 3\n---\n## limactl template copy\n/);
      const missing = await home.limactl(["generate-doc"]);
      assert.equal(missing.code, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
