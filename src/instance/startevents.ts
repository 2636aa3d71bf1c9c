// What `limactl start` makes of the host agent's events: the SSH port, errors, cloud-init progress
// (`--progress`), and when to stop watching: at `exiting`, at `running` (degraded or not), and
// with `--progress` not before cloud-init has completed too.
import type { Event } from "../hostagent/events.js";
import { logger } from "../log/logger.js";

export class StartEvents {
  running = false;
  degraded = false;
  exiting = false;
  errors: string[] = [];
  private printedPort = false;
  private cloudInitCompleted = false;

  /** `showProgress`: print cloud-init's lines and wait for its completion (only when the host agent follows it). */
  constructor(private readonly showProgress: boolean) {}

  /** True when the watch is over. */
  onEvent(ev: Event): boolean {
    const status = ev.status;
    if (!this.printedPort && status.sshLocalPort) {
      logger.info(`SSH Local Port: ${status.sshLocalPort}`);
      this.printedPort = true;
    }
    if (this.showProgress && status.cloudInitProgress) this.onCloudInitProgress(status.cloudInitProgress);
    if (status.errors?.length) logger.error("Errors from the host agent", { errors: status.errors });
    if (status.exiting) {
      this.exiting = true;
      this.errors = status.errors ?? [];
      return true;
    }
    if (!status.running) return false;
    this.running = true;
    this.degraded = status.degraded === true;
    this.errors = status.errors ?? [];
    return this.degraded || !this.showProgress || this.cloudInitCompleted;
  }

  private onCloudInitProgress(progress: NonNullable<Event["status"]["cloudInitProgress"]>): void {
    if (progress.active && !progress.logLine) logger.info("Cloud-init provisioning started...");
    if (progress.logLine) logger.info(`[cloud-init] ${progress.logLine}`);
    if (progress.completed && !this.cloudInitCompleted) {
      this.cloudInitCompleted = true;
      logger.info("Cloud-init progress monitoring done.");
    }
  }
}
