// Speaks MCP's stdio JSON-RPC (one JSON object per line) to `limactl mcp serve`, by hand.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { LIMACTL, REPO } from "./limactl.js";

export interface JSONRPCReply {
  id: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

export interface ToolCallResult {
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** A reply not seen within this time fails the request. */
const REPLY_TIMEOUT_MS = 60_000;

export class McpSession {
  readonly child: ChildProcessWithoutNullStreams;
  stderr = "";
  private nextId = 1;
  private buffered = "";
  private waiting = new Map<number, (reply: JSONRPCReply) => void>();
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv, cwd = REPO) {
    this.child = spawn(LIMACTL, ["mcp", "serve", ...args], { env: { ...process.env, ...env }, cwd });
    this.child.stdout.on("data", (d: Buffer) => this.onData(d.toString()));
    this.child.stderr.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }

  private onData(text: string): void {
    this.buffered += text;
    let nl = this.buffered.indexOf("\n");
    while (nl >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const msg = JSON.parse(line) as JSONRPCReply & { method?: string };
      if (msg.method === undefined) this.waiting.get(msg.id)?.(msg);
      nl = this.buffered.indexOf("\n");
    }
  }

  request(method: string, params: Record<string, unknown> = {}): Promise<JSONRPCReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${method} in ${REPLY_TIMEOUT_MS} ms; stderr: ${this.stderr}`)), REPLY_TIMEOUT_MS);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  }

  notify(method: string): void {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method })}\n`);
  }

  async initialize(protocolVersion: string): Promise<Record<string, unknown>> {
    const reply = await this.request("initialize", { protocolVersion, capabilities: {}, clientInfo: { name: "lima-ts-test", version: "0" } });
    if (!reply.result) throw new Error(`initialize failed: ${JSON.stringify(reply)}; stderr: ${this.stderr}`);
    this.notify("notifications/initialized");
    return reply.result;
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<ToolCallResult> {
    const reply = await this.request("tools/call", { name, arguments: args });
    if (!reply.result) throw new Error(`tools/call ${name} failed: ${JSON.stringify(reply)}`);
    return reply.result as unknown as ToolCallResult;
  }

  /** Ends the session as a client does: closing the server's stdin. */
  async close(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }
}
