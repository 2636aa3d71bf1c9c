// `limactl mcp` (the limactl-mcp plugin) through the real bin/limactl, without a VM: the guest
// is stood in for by this host: $LIMACTL answers `list --json` and runs `shell --workdir` here,
// $SSH runs OpenSSH's real sftp-server. test/e2e/vm.test.ts runs the same server in a real guest.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { LIMACTL, LimaHome } from "../helpers/limactl.js";
import { McpSession } from "../helpers/mcp.js";

const SFTP_SERVER = ["/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server"].find(existsSync);
const LIMA_TOOLS = ["list_directory", "read_file", "write_file", "glob", "search_file_content", "run_shell_command"];
const LIMA_PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

const work = mkdtempSync(path.join(os.tmpdir(), "lima-mcp-"));
const home = new LimaHome();
after(() => {
  home.cleanup();
  rmSync(work, { recursive: true, force: true });
});

function script(name: string, body: string): string {
  const file = path.join(work, name);
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return file;
}

const instDir = path.join(work, "inst");
mkdirSync(instDir);
const standInLimactl = script(
  "limactl",
  `#!/bin/sh
case "$1" in
list) printf '{"name":"%s","status":"%s","dir":"${instDir}","config":{"mounts":[{"location":"${work}"}]}}\\n' "$3" "\${STAND_IN_STATUS:-Running}" ;;
shell) dir="\${2#--workdir=}"; shift 3; cd "$dir" || exit 1; exec "$@" ;;
*) exit 2 ;;
esac
`,
);
const standInSSH = script("ssh", `#!/bin/sh\n[ "$1" = -F ] && [ "$2" = "${instDir}/ssh.config" ] && [ "$3" = lima-sandbox ] || exit 9\nexec ${SFTP_SERVER}\n`);
const env = { ...home.env, LIMACTL: standInLimactl, SSH: standInSSH };

const project = path.join(work, "project");
mkdirSync(path.join(project, "tests"), { recursive: true });
writeFileSync(path.join(project, "tests", "mcp.bats"), "needle in a haystack\n💡 light\n");
writeFileSync(path.join(project, "README.md"), "# readme\n");

describe("limactl mcp", { skip: SFTP_SERVER === undefined ? "no OpenSSH sftp-server" : false }, () => {
  it("is the plugin Lima ships: listed in help and info, with its version", async () => {
    const help = await home.limactl(["--help"]);
    assert.match(help.stdout, /Available Plugins \(Experimental\):\n(?: {2}.*\n)* {2}mcp {17}\n/);
    const info = await home.limactl(["info"]);
    const plugins = (JSON.parse(info.stdout) as { plugins: { name: string; path: string }[] }).plugins;
    assert.deepEqual(plugins.find((p) => p.name === "mcp"), { name: "mcp", path: path.resolve("libexec/lima/limactl-mcp") });
    const version = await home.limactl(["mcp", "-v"]);
    assert.equal(version.stdout, "limactl-mcp version 2.2.0\n");
  });

  it("prints the tools as JSON in `mcp info`", async () => {
    const r = await home.limactl(["mcp", "info"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('{\n    "tools": [\n        {\n            "description": '), r.stdout.slice(0, 80));
    assert.ok(!r.stdout.endsWith("\n"), "no newline at the end, as Lima prints it");
    const tools = (JSON.parse(r.stdout) as { tools: { name: string; inputSchema: { type: string } }[] }).tools;
    assert.deepEqual(tools.map((t) => t.name), LIMA_TOOLS);
    assert.ok(tools.every((t) => t.inputSchema.type === "object"));
  });

  it("answers initialize for every protocol revision Lima supports, as server `lima`", async () => {
    for (const version of [...LIMA_PROTOCOL_VERSIONS, "2024-10-07"]) {
      const session = new McpSession(["sandbox"], env, project);
      const started = Date.now();
      const result = await session.initialize(version);
      const ms = Date.now() - started;
      assert.equal(result.protocolVersion, version === "2024-10-07" ? "2025-11-25" : version);
      assert.deepEqual(result.serverInfo, { name: "lima", title: "Lima VM, for sandboxing local command executions and file I/O operations", version: "v2.2.0" });
      assert.match(String(result.instructions), /^This MCP server provides tools for sandboxing local command executions/);
      assert.deepEqual(result.capabilities, { logging: {}, tools: { listChanged: true } });
      assert.equal(await session.close(), 0, session.stderr);
      if (version === LIMA_PROTOCOL_VERSIONS[0]) console.log(`# mcp serve: spawn to initialize reply ${ms} ms`);
    }
  });

  it("lists the tools and runs them in the instance", async () => {
    const s = new McpSession(["sandbox"], env, project);
    try {
      await s.initialize("2025-06-18");
      const list = await s.request("tools/list");
      assert.deepEqual((list.result?.tools as { name: string }[]).map((t) => t.name), LIMA_TOOLS);

      const ok = await s.callTool("run_shell_command", { directory: project, command: ["cat", "README.md"] });
      assert.deepEqual(ok.structuredContent, { stdout: "# readme\n", stderr: "", exit_code: 0 });
      assert.deepEqual(JSON.parse(ok.content[0]?.text ?? ""), ok.structuredContent);
      const failed = await s.callTool("run_shell_command", { directory: "/", command: ["sh", "-c", "echo NO >&2; exit 13"] });
      assert.deepEqual(failed.structuredContent, { stdout: "", stderr: "NO\n", error: "exit status 13", exit_code: 13 });
      const noDir = await s.callTool("run_shell_command", { directory: "/etcetera", command: ["true"] });
      assert.equal(noDir.structuredContent?.exit_code, 1);
      assert.match(String(noDir.structuredContent?.stderr), /etcetera/);

      const written = await s.callTool("write_file", { path: path.join(project, "new/dir/file.txt"), content: "tmp 💡" });
      assert.deepEqual(written, { content: [{ type: "text", text: "{}" }], structuredContent: {} });
      assert.equal(readFileSync(path.join(project, "new/dir/file.txt"), "utf8"), "tmp 💡");
      const read = await s.callTool("read_file", { path: path.join(project, "new/dir/file.txt") });
      assert.deepEqual(read.structuredContent, { content: "tmp 💡" });

      const dir = await s.callTool("list_directory", { path: path.join(project, "new") });
      const entries = dir.structuredContent?.entries as { name: string; mode: number; is_dir: boolean; size: number; time: string }[];
      assert.deepEqual(entries.map((e) => [e.name, e.is_dir, e.mode & 0x80000000 ? "dir" : "file"]), [["dir", true, "dir"]]);
      assert.match(entries[0]?.time ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);

      const globbed = await s.callTool("glob", { pattern: "*/*p.bats" });
      assert.deepEqual(globbed.structuredContent, { matches: [path.join(project, "tests/mcp.bats")] });
      const none = await s.callTool("glob", { pattern: "nothing.to.see" });
      assert.deepEqual(none.structuredContent, { matches: [] });

      const found = await s.callTool("search_file_content", { pattern: "💡" });
      assert.match(String(found.structuredContent?.git_grep_output), /mcp\.bats:2:💡 light\n/);
      const notFound = await s.callTool("search_file_content", { pattern: "no such needle" });
      assert.deepEqual(notFound.structuredContent, { git_grep_output: "" });
    } finally {
      await s.close();
    }
  });

  it("refuses relative paths and reports guest errors as tool errors", async () => {
    const s = new McpSession(["sandbox"], env, project);
    try {
      await s.initialize("2025-11-25");
      for (const [tool, args] of [
        ["read_file", { path: "README.md" }],
        ["write_file", { path: "tmp/mcp.test", content: "baz" }],
        ["list_directory", { path: "." }],
        ["run_shell_command", { directory: "tests", command: ["ls"] }],
        ["glob", { pattern: "*", path: "relative" }],
      ] as const) {
        const r = await s.callTool(tool, args);
        assert.equal(r.isError, true, tool);
        assert.match(r.content[0]?.text ?? "", /^expected an absolute path, got a relative path: `/, tool);
      }
      assert.equal(existsSync(path.join(project, "tmp")), false);
      const missing = await s.callTool("read_file", { path: path.join(project, "missing") });
      assert.deepEqual(missing, { content: [{ type: "text", text: "file does not exist" }], isError: true });
      const empty = await s.callTool("read_file", { path: "" });
      assert.deepEqual(empty.content[0]?.text, "path is empty");
    } finally {
      await s.close();
    }
  });

  it("works with the SDK's own client", async () => {
    const client = new Client({ name: "sdk-client", version: "0" });
    await client.connect(new StdioClientTransport({ command: LIMACTL, args: ["mcp", "serve", "sandbox"], env: { ...process.env, ...env } as Record<string, string>, cwd: project }));
    try {
      assert.equal(client.getServerVersion()?.name, "lima");
      assert.deepEqual((await client.listTools()).tools.map((t) => t.name), LIMA_TOOLS);
      const r = await client.callTool({ name: "read_file", arguments: { path: path.join(project, "README.md") } });
      assert.deepEqual(r.structuredContent, { content: "# readme\n" });
    } finally {
      await client.close();
    }
  });

  it("refuses an instance that is not running, or missing, before serving", async () => {
    const stopped = await home.limactl(["mcp", "serve", "sandbox"], { env: { ...env, STAND_IN_STATUS: "Stopped" } });
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /level=fatal msg="expected status of instance `sandbox` to be `Running`, got `Stopped`"/);
    assert.equal(stopped.stdout, "");
    const missing = await home.limactl(["mcp", "serve"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /level=fatal msg="failed to run \[limactl list --json default\]: .*No instance matching default found.*: exit status 1"/);
  });
});
