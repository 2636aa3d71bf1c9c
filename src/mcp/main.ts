// `limactl-mcp`: the MCP plugin (Lima: cmd/limactl-mcp), installed as libexec/lima/limactl-mcp so
// that `limactl mcp ...` runs it. Commands: `info`, `serve [INSTANCE]` and the hidden `generate-doc DIR`.
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { logger } from "../log/logger.js";
import { VERSION } from "../version.js";
import { checkInstance, GuestBackend, inspectInstance, limactlProgram } from "./guest.js";
import { limaToolOrder, listTools, newServer, type ToolInfo } from "./server.js";

const PROGRAM = "limactl-mcp";

const ROOT_HELP = `Model Context Protocol plugin for Lima (EXPERIMENTAL)

Usage:
  ${PROGRAM} [command]

Available Commands:
  help        Help about any command
  info        Show information about the MCP server
  serve       Serve MCP over stdio

Flags:
  -h, --help      help for ${PROGRAM}
  -v, --version   version for ${PROGRAM}

Use "${PROGRAM} [command] --help" for more information about a command.
`;

const COMMAND_HELP: Record<string, string> = {
  info: `Show information about the MCP server

Usage:
  ${PROGRAM} info [flags]

Flags:
  -h, --help   help for info
`,
  serve: `Serve MCP over stdio.

Expected to be executed via an AI agent, not by a human

Usage:
  ${PROGRAM} serve INSTANCE [flags]

Flags:
  -h, --help   help for serve
`,
  "generate-doc": `Generate documentation pages

Usage:
  ${PROGRAM} generate-doc DIR [flags]

Flags:
  -h, --help   help for generate-doc
`,
};

class UsageError extends Error {}

/** `limactl mcp info`: the tools as JSON, indented by 4 spaces, without a final newline (as Lima prints it). */
async function info(): Promise<void> {
  const tools = (await listTools()).map(limaToolOrder);
  process.stdout.write(JSON.stringify({ tools }, null, 4));
}

/** `limactl mcp serve [INSTANCE]`: MCP over stdio for a running instance (default: `default`). */
async function serve(instanceName: string): Promise<void> {
  const limactl = limactlProgram();
  const inst = await inspectInstance(limactl, instanceName);
  checkInstance(inst);
  const backend = await GuestBackend.open(inst, limactl);
  const server = newServer(backend);
  const transport = new StdioServerTransport();
  // The session ends with the client's stdin, as the Go SDK's stdio transport does.
  const ended = new Promise<void>((resolve) => process.stdin.once("end", resolve));
  await server.connect(transport);
  await ended;
  await server.close();
  backend.close();
}

function docOf(tool: ToolInfo): string {
  let text = `## \`${tool.name}\`\n\n`;
  if (typeof tool.title === "string" && tool.title !== "") text += `### Title\n\n${tool.title}\n\n`;
  if (typeof tool.description === "string" && tool.description !== "") text += `### Description\n\n${tool.description}\n\n`;
  if (tool.inputSchema) text += `### Input Schema\n\n\`\`\`json\n${JSON.stringify(tool.inputSchema, null, 4)}\n\`\`\`\n\n`;
  if (tool.outputSchema) text += `### Output Schema\n\n\`\`\`json\n${JSON.stringify(tool.outputSchema, null, 4)}\n\`\`\`\n\n`;
  return text;
}

/** `generate-doc DIR`: DIR/mcp.md, the tools' reference page of Lima's website. */
async function generateDoc(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const intro = `---
title: MCP tools
weight: 99
---
Lima implements the "MCP Sandbox Interface" (tentative name):
https://pkg.go.dev/github.com/lima-vm/lima/v2/pkg/mcp/msi

MCP Sandbox Interface defines MCP (Model Context Protocol) tools
that can be used for reading, writing, and executing local files
with an appropriate sandboxing technology, such as Lima.

`;
  const tools = await listTools();
  writeFileSync(path.join(dir, "mcp.md"), intro + tools.map(docOf).join(""));
}

function argsError(command: string, max: number, min: number, args: readonly string[]): UsageError | undefined {
  if (args.length > max) return new UsageError(max === 0 ? `unknown command "${args[0]}" for "${PROGRAM} ${command}"` : `accepts at most ${max} arg(s), received ${args.length}`);
  if (args.length < min) return new UsageError(`requires at least ${min} arg(s), only received ${args.length}`);
  return undefined;
}

async function run(argv: readonly string[]): Promise<void> {
  const wantsHelp = argv.includes("-h") || argv.includes("--help");
  const [command, ...rest] = argv.filter((a) => a !== "-h" && a !== "--help");
  if (command === "-v" || command === "--version") {
    process.stdout.write(`${PROGRAM} version ${VERSION}\n`);
    return;
  }
  if (command === undefined || command === "help") {
    process.stdout.write(command === "help" && rest[0] && COMMAND_HELP[rest[0]] ? (COMMAND_HELP[rest[0]] as string) : ROOT_HELP);
    return;
  }
  const help = COMMAND_HELP[command];
  if (help === undefined) throw new UsageError(`unknown command "${command}" for "${PROGRAM}"`);
  if (wantsHelp) {
    process.stdout.write(help);
    return;
  }
  const unknownFlag = rest.find((a) => a.startsWith("-"));
  if (unknownFlag !== undefined) throw new UsageError(`unknown flag: ${unknownFlag.replace(/=.*/, "")}`);
  if (command === "info") {
    const bad = argsError(command, 0, 0, rest);
    if (bad) throw bad;
    return info();
  }
  if (command === "serve") {
    const bad = argsError(command, 1, 0, rest);
    if (bad) throw bad;
    return serve(rest[0] ?? "default");
  }
  const bad = argsError(command, Number.POSITIVE_INFINITY, 1, rest);
  if (bad) throw bad;
  return generateDoc(rest[0] as string);
}

run(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    logger.fatal(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
