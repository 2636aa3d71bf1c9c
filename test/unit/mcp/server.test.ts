// The MCP server's identity, protocol negotiation and tool list, checked against Lima's.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { listTools, limaToolOrder, negotiateProtocolVersion, serverInstructions, SUPPORTED_PROTOCOL_VERSIONS } from "../../../src/mcp/server.js";
import { TOOL_NAMES } from "../../../src/mcp/tools.js";

/** Lima's tools in its registration order (pkg/mcp/toolset RegisterServer). */
const LIMA_TOOLS = ["list_directory", "read_file", "write_file", "glob", "search_file_content", "run_shell_command"];

interface Schema {
  required?: string[];
  properties?: Record<string, unknown>;
}

describe("MCP server", () => {
  it("lists Lima's tools, in Lima's order", async () => {
    assert.deepEqual(TOOL_NAMES, LIMA_TOOLS);
    assert.deepEqual((await listTools()).map((t) => t.name), LIMA_TOOLS);
  });

  it("gives each tool Lima's input and output fields, required ones as Lima's", async () => {
    const tools = new Map((await listTools()).map((t) => [t.name, t as unknown as { inputSchema: Schema; outputSchema: Schema }]));
    const fields = (name: string, which: "inputSchema" | "outputSchema") => {
      const s = tools.get(name)?.[which];
      return { required: [...(s?.required ?? [])].sort(), properties: Object.keys(s?.properties ?? {}).sort() };
    };
    assert.deepEqual(fields("run_shell_command", "inputSchema"), { required: ["command", "directory"], properties: ["command", "description", "directory"] });
    assert.deepEqual(fields("run_shell_command", "outputSchema"), { required: ["stderr", "stdout"], properties: ["error", "exit_code", "stderr", "stdout"] });
    assert.deepEqual(fields("read_file", "inputSchema"), { required: ["path"], properties: ["path"] });
    assert.deepEqual(fields("read_file", "outputSchema"), { required: ["content"], properties: ["content"] });
    assert.deepEqual(fields("write_file", "inputSchema"), { required: ["content", "path"], properties: ["content", "path"] });
    assert.deepEqual(fields("write_file", "outputSchema"), { required: [], properties: [] });
    assert.deepEqual(fields("list_directory", "outputSchema"), { required: ["entries"], properties: ["entries"] });
    assert.deepEqual(fields("glob", "inputSchema"), { required: ["pattern"], properties: ["path", "pattern"] });
    assert.deepEqual(fields("glob", "outputSchema"), { required: ["matches"], properties: ["matches"] });
    assert.deepEqual(fields("search_file_content", "inputSchema"), { required: ["pattern"], properties: ["include", "path", "pattern"] });
    assert.deepEqual(fields("search_file_content", "outputSchema"), { required: ["git_grep_output"], properties: ["git_grep_output"] });
  });

  it("orders a tool's keys as Lima's JSON does", () => {
    const tool = limaToolOrder({ name: "x", title: "t", outputSchema: {}, inputSchema: {}, description: "d", execution: { taskSupport: "forbidden" } });
    assert.deepEqual(Object.keys(tool), ["description", "inputSchema", "name", "outputSchema", "title"]);
  });

  it("echoes a supported protocol revision and answers others with the latest", () => {
    assert.deepEqual([...SUPPORTED_PROTOCOL_VERSIONS], ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]);
    for (const v of SUPPORTED_PROTOCOL_VERSIONS) assert.equal(negotiateProtocolVersion(v), v);
    assert.equal(negotiateProtocolVersion("2024-10-07"), "2025-11-25");
    assert.equal(negotiateProtocolVersion("1999-01-01"), "2025-11-25");
  });

  it("names a non-Linux host in the instructions", () => {
    assert.doesNotMatch(serverInstructions("linux"), /NOTE/);
    assert.match(serverInstructions("linux"), /^This MCP server provides tools for sandboxing local command executions/);
    assert.match(serverInstructions("darwin"), /NOTE: the guest OS of the VM is Linux, while the host OS is Darwin\.\n$/);
  });
});
