// `limactl start --progress`: the host agent follows cloud-init's output in the guest over SSH and
// turns each line into a `cloudInitProgress` event (Lima's watchCloudInitProgress).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { logger } from "../log/logger.js";
import { runSSH } from "../sshutil/exec.js";
import { shellQuote, sshArgs } from "../sshutil/sshutil.js";
import { errorMessage } from "../util/errors.js";
import type { CloudInitProgress } from "./events.js";

/** Lima gives up following cloud-init after 10 minutes. */
export const CLOUD_INIT_PROGRESS_TIMEOUT_MS = 10 * 60_000;
/** Lines fetched once more when the follow connection drops before cloud-init finished. */
const TAIL_LINES = 20;
const TAIL_TIMEOUT_MS = 30_000;

/**
 * The guest command: systemd's journal of `cloud-init-main.service` (cloud-init ≥ 24.3), otherwise
 * cloud-init-output.log from the line after the last "Cloud-init … finished" (an earlier boot's
 * end), or all of it when this boot has already finished.
 */
export const FOLLOW_SCRIPT = `if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled -q cloud-init-main.service; then
	journalctl -u cloud-init-main.service -b -S @0 -o cat -f
else
	sudo tail -n +$(sudo awk '
		BEGIN{b=1; e=1}
		/^Cloud-init.* finished/{e=NR}
		/.*/{if(NR>e){b=e+1}}
		END{print b}
	' /var/log/cloud-init-output.log) -f /var/log/cloud-init-output.log
fi`;

const lower = (line: string): string => line.trim().toLowerCase();
export const isCloudInitFinished = (line: string): boolean => lower(line).includes("cloud-init") && lower(line).includes("finished");
const isMainServiceStarted = (line: string): boolean => lower(line).startsWith("started cloud-init-main.service");
/** systemd ends a unit's run with a line about the CPU time it consumed. */
const isMainServiceDone = (line: string): boolean => lower(line).startsWith("cloud-init-main.service: consumed");

/**
 * Turns output lines into progress events. Once `cloud-init-main.service` was seen starting, only
 * its end counts as completion (its journal also holds "finished" lines of single stages).
 */
export class CloudInitTracker {
  private mainServiceStarted = false;
  finished = false;

  /** The event for one line of output; undefined for a blank line. */
  line(line: string): CloudInitProgress | undefined {
    if (line.trim() === "") return undefined;
    if (!this.mainServiceStarted) {
      if (isMainServiceStarted(line)) this.mainServiceStarted = true;
      else if (isCloudInitFinished(line)) this.finished = true;
    } else if (isMainServiceDone(line)) {
      this.finished = true;
    }
    return { active: !this.finished, logLine: line, completed: this.finished };
  }

  /** A line of the last-lines fetch after a dropped connection: only the "finished" pattern counts. */
  tailLine(line: string): CloudInitProgress | undefined {
    if (line.trim() === "") return undefined;
    if (!this.finished) this.finished = isCloudInitFinished(line);
    return { active: !this.finished, logLine: line, completed: this.finished };
  }
}

export interface CloudInitWatch {
  /** Where the guest's sshd is reached (the driver's SSH address). */
  address: string;
  port: number;
  opts: readonly string[];
  /** Ends the watch (the host agent stops). */
  signal: AbortSignal;
  emit: (progress: CloudInitProgress) => void;
  timeoutMs?: number;
}

/** Follows the guest's cloud-init output until it finishes, the time is up, or the host agent stops; always ends with a `completed` event. */
export async function watchCloudInitProgress(w: CloudInitWatch): Promise<void> {
  const tracker = new CloudInitTracker();
  const timeout = AbortSignal.timeout(w.timeoutMs ?? CLOUD_INIT_PROGRESS_TIMEOUT_MS);
  const signal = AbortSignal.any([w.signal, timeout]);
  let reason = "Cloud-init monitoring completed successfully";
  w.emit({ active: true });
  try {
    await follow(w, tracker, signal);
    if (timeout.aborted) {
      reason = "Cloud-init monitoring timed out after 10 minutes";
      logger.warn(reason);
    } else if (!tracker.finished && !signal.aborted) {
      logger.debug("Connection dropped, checking for any remaining cloud-init logs");
      await emitLastLines(w, tracker, signal);
    }
  } catch (err) {
    reason = "Failed to start cloud-init monitoring command";
    logger.warn(reason, { error: errorMessage(err) });
  }
  w.emit({ active: false, completed: true, logLine: reason });
}

function follow(w: CloudInitWatch, tracker: CloudInitTracker, signal: AbortSignal): Promise<void> {
  const args = [...sshArgs(w.opts), "-p", String(w.port), w.address, "--", `sh -c ${shellQuote(FOLLOW_SCRIPT)}`];
  return new Promise((resolve, reject) => {
    const child = spawn("ssh", args, { stdio: ["ignore", "pipe", "ignore"], signal, killSignal: "SIGKILL" });
    child.on("error", (err) => {
      if (err.name !== "AbortError") reject(err);
    });
    child.on("close", () => resolve());
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      if (tracker.finished) return;
      const progress = tracker.line(line);
      if (!progress) return;
      w.emit(progress);
      // `tail -f` never ends by itself.
      if (tracker.finished) child.kill("SIGKILL");
    });
  });
}

async function emitLastLines(w: CloudInitWatch, tracker: CloudInitTracker, signal: AbortSignal): Promise<void> {
  const args = [...sshArgs(w.opts), "-p", String(w.port), w.address, "--", `sudo tail -n ${TAIL_LINES} /var/log/cloud-init-output.log`];
  const res = await runSSH(args, undefined, TAIL_TIMEOUT_MS, signal);
  if (res.code !== 0) return;
  for (const line of res.stdout.split("\n")) {
    const progress = tracker.tailLine(line);
    if (progress) w.emit(progress);
  }
}
