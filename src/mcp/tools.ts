// Lima's MCP tools ("MCP Sandbox Interface", Lima: pkg/mcp/msi and pkg/mcp/toolset): names,
// descriptions and input/output schemas, and the handlers over a backend that reaches the guest.
// Results are JSON: `structuredContent` plus the same object as JSON text; a failure is a result
// with `isError` and the error's message as its text, as Lima's Go SDK answers.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import path from "node:path";
import * as z from "zod";

/** What the tools need of the instance (a guest reached over SFTP and `limactl shell`). */
export interface ToolBackend {
  listDirectory(guestPath: string): Promise<ListDirectoryEntry[]>;
  readFile(guestPath: string, limitBytes: number): Promise<string>;
  /** Creates missing parent directories, then creates or overwrites the file. */
  writeFile(guestPath: string, content: string): Promise<void>;
  glob(guestPattern: string): Promise<string[]>;
  /** Runs a command in the guest in `guestDir` (`limactl shell --workdir=DIR INSTANCE CMD...`). */
  runCommand(command: readonly string[], guestDir: string): Promise<RunShellCommandResult>;
  /** Guest path of a host path (Lima: TranslateHostPath); throws for paths a tool must refuse. */
  guestPath(hostPath: string): string;
  /** The directory glob and search work in when given none: the server's working directory. */
  workingDirectory(): string;
}

/** read_file returns at most this much of a file (Lima: 32 MiB). */
export const READ_FILE_LIMIT_BYTES = 32 * 1024 * 1024;

const listDirectoryEntry = z.object({
  name: z.string().describe("base name of the file"),
  size: z.number().int().optional().describe("length in bytes for regular files; system-dependent for others"),
  mode: z.number().int().optional().describe("file mode bits"),
  time: z.string().optional().describe("modification time"),
  is_dir: z.boolean().optional().describe("true for a directory"),
});
export type ListDirectoryEntry = z.infer<typeof listDirectoryEntry>;

const runShellCommandOutput = {
  stdout: z.string().describe("Output from the standard output stream."),
  stderr: z.string().describe("Output from the standard error stream."),
  error: z.string().optional().describe("Any error message reported by the subprocess."),
  exit_code: z.number().int().optional().describe("Exit code of the command."),
};
export type RunShellCommandResult = { stdout: string; stderr: string; error?: string; exit_code?: number };

/** The tools in Lima's registration order. */
export const TOOLS = {
  list_directory: {
    description: "Lists the names of files and subdirectories directly within a specified directory path.",
    inputSchema: { path: z.string().describe("The absolute path to the directory to list.") },
    outputSchema: { entries: z.array(listDirectoryEntry).describe("The directory content entries.") },
  },
  read_file: {
    description: "Reads and returns the content of a specified file.",
    inputSchema: { path: z.string().describe("The absolute path to the file to read.") },
    outputSchema: { content: z.string().describe("The content of the file.") },
  },
  write_file: {
    description:
      "Writes content to a specified file. If the file exists, it will be overwritten. If the file doesn't exist, it (and any necessary parent directories) will be created.",
    inputSchema: {
      path: z.string().describe("The absolute path to the file to write to."),
      content: z.string().describe("The content to write into the file."),
    },
    outputSchema: {},
  },
  glob: {
    description: "Finds files matching specific glob patterns (e.g., src/**/*.ts, *.md)",
    inputSchema: {
      pattern: z.string().describe("The glob pattern to match against (e.g., '*.py', 'src/**/*.js')."),
      path: z.string().optional().describe("The absolute path to the directory to search within. If omitted, searches the tool's root directory."),
    },
    outputSchema: { matches: z.array(z.string()).describe("A list of absolute file paths that match the provided glob pattern.") },
  },
  search_file_content: {
    description:
      "Searches for a regular expression pattern within the content of files in a specified directory. Internally calls 'git grep -n --no-index'.",
    inputSchema: {
      pattern: z.string().describe("The regular expression (regex) to search for (e.g., 'function\\s+myFunction')."),
      path: z.string().optional().describe("The absolute path to the directory to search within. Defaults to the current working directory."),
      include: z
        .string()
        .optional()
        .describe("A glob pattern to filter which files are searched (e.g., '*.js', 'src/**/*.{ts,tsx}'). If omitted, searches most files (respecting common ignores)."),
    },
    outputSchema: {
      git_grep_output: z
        .string()
        .describe("The raw output from the 'git grep -n --no-index' command, containing matching lines with filenames and line numbers."),
    },
  },
  run_shell_command: {
    description: "Executes a given shell command.",
    inputSchema: {
      command: z
        .array(z.string())
        .describe("The exact shell command to execute. Defined as a string slice, unlike Gemini's run_shell_command that defines it as a single string."),
      description: z.string().optional().describe("A brief description of the command's purpose, which will be potentially shown to the user."),
      directory: z
        .string()
        .describe(
          "The absolute directory in which to execute the command. Unlike Gemini's run_shell_command, this must not be a relative path, and must not be empty.",
        ),
    },
    outputSchema: runShellCommandOutput,
  },
} as const;

export type ToolName = keyof typeof TOOLS;
export const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];

interface ToolResult {
  [key: string]: unknown;
  content: { type: "text"; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

function ok(result: object): ToolResult {
  return { content: [{ type: "text", text: JSON.stringify(result) }], structuredContent: { ...result } };
}

function failure(err: unknown): ToolResult {
  return { content: [{ type: "text", text: err instanceof Error ? err.message : String(err) }], isError: true };
}

async function answer(run: () => Promise<object>): Promise<ToolResult> {
  try {
    return ok(await run());
  } catch (err) {
    return failure(err);
  }
}

/** The directory a glob or search runs in: the given one, else the server's working directory. */
function searchRoot(backend: ToolBackend, dir: string | undefined): string {
  return dir !== undefined && dir !== "" ? dir : backend.workingDirectory();
}

/** Registers every tool; `backend` undefined answers each call with "instance not registered" (mcp info). */
export function registerTools(server: McpServer, backend: ToolBackend | undefined): void {
  const withBackend = (run: (b: ToolBackend) => Promise<object>) =>
    answer(async () => {
      if (backend === undefined) throw new Error("instance not registered");
      return run(backend);
    });
  const t = TOOLS;
  server.registerTool("list_directory", t.list_directory, (args) =>
    withBackend(async (b) => ({ entries: await b.listDirectory(b.guestPath(args.path)) })),
  );
  server.registerTool("read_file", t.read_file, (args) =>
    withBackend(async (b) => ({ content: await b.readFile(b.guestPath(args.path), READ_FILE_LIMIT_BYTES) })),
  );
  server.registerTool("write_file", t.write_file, (args) =>
    withBackend(async (b) => {
      await b.writeFile(b.guestPath(args.path), args.content);
      return {};
    }),
  );
  server.registerTool("glob", t.glob, (args) =>
    withBackend(async (b) => {
      const dir = b.guestPath(searchRoot(b, args.path));
      return { matches: await b.glob(joinPattern(dir, args.pattern)) };
    }),
  );
  server.registerTool("search_file_content", t.search_file_content, (args) =>
    withBackend(async (b) => {
      const dir = b.guestPath(searchRoot(b, args.path));
      const target = args.include !== undefined && args.include !== "" ? joinPattern(dir, args.include) : dir;
      // git runs in `dir` and prints paths relative to it either way; an absolute pathspec aborts
      // `git grep --no-index` outside a repository in git 2.39 (Debian 12: "BUG: environment.c").
      const pathspec = path.posix.relative(dir, target) || ".";
      const res = await b.runCommand(["git", "grep", "-n", "--no-index", args.pattern, pathspec], dir);
      return { git_grep_output: res.stdout };
    }),
  );
  server.registerTool("run_shell_command", t.run_shell_command, (args) =>
    withBackend(async (b) => b.runCommand(args.command, b.guestPath(args.directory))),
  );
}

/** Go's path.Join of a directory and a pattern (cleans `.`, `..` and double slashes). */
export function joinPattern(dir: string, pattern: string): string {
  const parts: string[] = [];
  for (const part of `${dir}/${pattern}`.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}
