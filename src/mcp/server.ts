// The MCP server Lima ships as `limactl mcp` (Lima: cmd/limactl-mcp): serverInfo `lima`, the
// sandbox instructions, protocol version negotiation as Lima's Go SDK does it, and the tool list
// that `limactl mcp info` prints.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { InitializeRequestSchema, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import os from "node:os";
import { VERSION_WITH_V } from "../version.js";
import { registerTools, type ToolBackend } from "./tools.js";

/** The handshake protocol revisions Lima's MCP server speaks, newest first. */
export const SUPPORTED_PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"] as const;
const LATEST_PROTOCOL_VERSION = SUPPORTED_PROTOCOL_VERSIONS[0];

/** The client's revision when supported, else the latest (the Go SDK's negotiation). */
export function negotiateProtocolVersion(requested: string): string {
  return (SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
}

export const SERVER_NAME = "lima";
const SERVER_TITLE = "Lima VM, for sandboxing local command executions and file I/O operations";

/** What the server tells the agent; a non-Linux host is named because the guest is Linux. */
export function serverInstructions(platform: NodeJS.Platform = os.platform()): string {
  const text = `This MCP server provides tools for sandboxing local command executions and file I/O operations,
by wrapping them in Lima VM (https://lima-vm.io).

Use these tools to avoid accidentally executing malicious codes directly on the host.
`;
  if (platform === "linux") return text;
  const host = { darwin: "Darwin", win32: "Windows", freebsd: "Freebsd" }[platform as string] ?? platform;
  return `${text}

NOTE: the guest OS of the VM is Linux, while the host OS is ${host}.
`;
}

/** What the server offers: tools (whose list may change) and logging, as Lima's Go SDK server does. */
const SERVER_CAPABILITIES = { logging: {}, tools: { listChanged: true } };

export function newServer(backend: ToolBackend | undefined): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, title: SERVER_TITLE, version: VERSION_WITH_V },
    { instructions: serverInstructions(), capabilities: SERVER_CAPABILITIES },
  );
  registerTools(server, backend);
  const inner = server.server;
  const sdkInitialize = InitializeRequestSchema.shape.method.value;
  // The SDK also accepts 2024-10-07; Lima's answers every revision it does not know with its latest.
  inner.removeRequestHandler(sdkInitialize);
  inner.setRequestHandler(InitializeRequestSchema, (request) => ({
    protocolVersion: negotiateProtocolVersion(request.params.protocolVersion),
    capabilities: SERVER_CAPABILITIES,
    serverInfo: { name: SERVER_NAME, title: SERVER_TITLE, version: VERSION_WITH_V },
    instructions: serverInstructions(),
  }));
  return server;
}

/** One end of an in-process transport pair. */
class LoopbackTransport implements Transport {
  peer: LoopbackTransport | undefined;
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  async start(): Promise<void> {}
  async send(message: JSONRPCMessage): Promise<void> {
    const peer = this.peer;
    queueMicrotask(() => peer?.onmessage?.(message));
  }
  async close(): Promise<void> {
    this.onclose?.();
  }
}

export interface ToolInfo {
  name: string;
  [key: string]: unknown;
}

/** The tools as `tools/list` answers them, asked over an in-process connection (`limactl mcp info`). */
export async function listTools(): Promise<ToolInfo[]> {
  const server = newServer(undefined);
  const serverEnd = new LoopbackTransport();
  const clientEnd = new LoopbackTransport();
  serverEnd.peer = clientEnd;
  clientEnd.peer = serverEnd;
  const replies = new Map<number, (m: JSONRPCMessage) => void>();
  clientEnd.onmessage = (m) => {
    if ("id" in m && typeof m.id === "number") replies.get(m.id)?.(m);
  };
  const call = (id: number, method: string, params: Record<string, unknown>) =>
    new Promise<JSONRPCMessage>((resolve) => {
      replies.set(id, resolve);
      void clientEnd.send({ jsonrpc: "2.0", id, method, params });
    });
  await server.connect(serverEnd);
  await call(1, "initialize", { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "client", version: "" } });
  await clientEnd.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  const reply = await call(2, "tools/list", {});
  await server.close();
  if (!("result" in reply)) throw new Error(`tools/list failed: ${JSON.stringify(reply)}`);
  return (reply.result as { tools: ToolInfo[] }).tools;
}

/** A tool with its keys in the order Lima's Go SDK marshals them (description, inputSchema, name, outputSchema, title). */
export function limaToolOrder(tool: ToolInfo): ToolInfo {
  const ordered: Record<string, unknown> = {};
  for (const key of ["annotations", "description", "inputSchema", "name", "outputSchema", "title"]) {
    if (tool[key] !== undefined) ordered[key] = tool[key];
  }
  for (const [key, value] of Object.entries(tool)) if (!(key in ordered) && key !== "execution") ordered[key] = value;
  return ordered as ToolInfo;
}
