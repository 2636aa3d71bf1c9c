import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { descriptionOf, discoverPlugins } from "../../../src/plugins/plugins.js";

const root = mkdtempSync(path.join(os.tmpdir(), "plugins-"));
after(() => rmSync(root, { recursive: true, force: true }));

function file(dir: string, name: string, content: string, mode = 0o755): string {
  mkdirSync(dir, { recursive: true });
  const p = path.join(dir, name);
  writeFileSync(p, content);
  chmodSync(p, mode);
  return p;
}

describe("plugin discovery", () => {
  it("takes the first <limactl-desc> of a line, trimming spaces", () => {
    assert.equal(descriptionOf("#!/bin/sh\n# <limactl-desc>  Docker wrapper </limactl-desc>\n# <limactl-desc>x</limactl-desc>"), "Docker wrapper");
    assert.equal(descriptionOf("#!/bin/sh\n# <limactl-desc>\nsplit</limactl-desc>"), undefined);
  });

  it("finds executable limactl-* files, first directory wins, sorted by name, descriptions only from scripts", () => {
    const a = path.join(root, "a");
    const b = path.join(root, "b");
    const zed = file(a, "limactl-zed", "#!/bin/sh\n# <limactl-desc>first</limactl-desc>\n");
    file(b, "limactl-zed", "#!/bin/sh\n# <limactl-desc>second</limactl-desc>\n");
    const bin = file(b, "limactl-bin", "\x7fELF <limactl-desc>not a script</limactl-desc>");
    file(a, "limactl-plain", "#!/bin/sh\n", 0o644);
    file(a, "other-tool", "#!/bin/sh\n");
    mkdirSync(path.join(a, "limactl-dir"));
    assert.deepEqual(discoverPlugins([a, path.join(root, "missing"), b]), [
      { name: "bin", path: bin },
      { name: "zed", path: zed, description: "first" },
    ]);
  });
});
