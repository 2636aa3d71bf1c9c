// `virsh` on one libvirt connection: the driver's only way to libvirt (side effects only; what
// the output means is decided in connection.ts and libvirt.ts).
import { execFile } from "node:child_process";
import { writeFile, rm, mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { LimaError, isErrno } from "../../util/errors.js";
import { logger } from "../../log/logger.js";

/** A remote connection runs over SSH, so one call can take a while. */
const VIRSH_TIMEOUT_MS = 5 * 60_000;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export interface VirshResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Virsh {
  /** `uri` undefined: libvirt's own choice (LIBVIRT_DEFAULT_URI, uri_default in libvirt.conf, qemu:///system for root, qemu:///session otherwise). */
  constructor(readonly uri: string | undefined) {}

  private argv(args: string[]): string[] {
    return [...(this.uri === undefined ? [] : ["-c", this.uri]), "-q", ...args];
  }

  /** Runs virsh; a non-zero exit is a result, not an error (only a missing virsh throws). */
  tryRun(args: string[], signal?: AbortSignal): Promise<VirshResult> {
    const argv = this.argv(args);
    logger.debug(`Running [virsh ${argv.join(" ")}]`);
    return new Promise((resolve, reject) => {
      execFile("virsh", argv, { timeout: VIRSH_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, signal }, (err, stdout, stderr) => {
        if (err && isErrno(err, "ENOENT")) {
          reject(new LimaError("virsh is not installed: the libvirt driver needs it (Debian/Ubuntu: apt-get install libvirt-clients)", { cause: err }));
          return;
        }
        if (err && typeof (err as { code?: unknown }).code !== "number") {
          reject(new LimaError(`failed to run [virsh ${argv.join(" ")}]: ${err.message}`, { cause: err }));
          return;
        }
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  /** Runs virsh; a failure throws with virsh's own message. */
  async run(args: string[], signal?: AbortSignal): Promise<string> {
    const res = await this.tryRun(args, signal);
    if (res.code !== 0) throw new LimaError(`[virsh ${this.argv(args).join(" ")}] failed: ${virshMessage(res)}`);
    return res.stdout;
  }

  /** Runs a command that reads an XML file (`define`), from a private temporary file. */
  async runWithXML(command: string, xml: string, extraArgs: string[] = [], signal?: AbortSignal): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lima-libvirt-"));
    const file = path.join(dir, "domain.xml");
    try {
      await writeFile(file, xml, { mode: 0o600 });
      return await this.run([command, file, ...extraArgs], signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** virsh's `error: ...` lines without the prefix, or its exit status. */
export function virshMessage(res: VirshResult): string {
  const lines = res.stderr.split("\n").map((l) => l.replace(/^error: /, "").trim()).filter((l) => l !== "");
  return lines.length > 0 ? lines.join(": ") : `exit status ${res.code}`;
}

/** libvirt's "Domain not found" (VIR_ERR_NO_DOMAIN), as virsh prints it. */
export function isNoDomain(res: VirshResult): boolean {
  return res.code !== 0 && /failed to get domain|Domain not found/i.test(res.stderr);
}
