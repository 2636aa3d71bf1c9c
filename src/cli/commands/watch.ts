import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { type Event, LineFollower, parseEvent } from "../../hostagent/events.js";
import { humanReadableLines, isBefore, jsonLine, localDateTime } from "../../hostagent/watch.js";
import { propagateLogLine } from "../../instance/start.js";
import { configureLogger, logger } from "../../log/logger.js";
import { limaHome } from "../../store/dirnames.js";
import * as filenames from "../../store/filenames.js";
import { inspect, instanceNames } from "../../store/store.js";
import { sleep } from "../../util/sleep.js";
import { errorMessage } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { boolFlag } from "../flags.js";
import { ADVANCED_GROUP } from "../help.js";

/** How often the logs (and, watching all, $LIMA_HOME) are looked at; Lima is told by inotify. */
const POLL_MS = 200;

interface WatchOptions {
  json?: boolean;
  history?: boolean;
  verbose?: boolean;
}

interface InstanceLogs {
  name: string;
  events: LineFollower;
  logs: LineFollower;
}

/** `DATE TIME MESSAGE` on stderr: the watch's own news, apart from the events. */
function printStatus(msg: string): void {
  process.stderr.write(`${localDateTime(new Date())} ${msg}\n`);
}

async function openInstance(name: string): Promise<InstanceLogs | undefined> {
  try {
    const dir = (await inspect(name)).dir;
    return {
      name,
      events: new LineFollower(path.join(dir, filenames.HostAgentStdoutLog)),
      logs: new LineFollower(path.join(dir, filenames.HostAgentStderrLog)),
    };
  } catch (err) {
    logger.warn(`Failed to inspect instance ${q(name)}`, { error: errorMessage(err) });
    return undefined;
  }
}

/** A directory of $LIMA_HOME that became an instance since the last look (its lima.yaml is there). */
function newInstances(known: Set<string>): string[] {
  const found: string[] = [];
  for (const name of instanceNames()) {
    if (known.has(name) || !existsSync(path.join(limaHome(), name, filenames.LimaYAML))) continue;
    known.add(name);
    found.push(name);
  }
  return found;
}

/** The instance's new events; undefined when a line is no event (Lima stops that watcher). */
function readEvents(inst: InstanceLogs): Event[] | undefined {
  const out: Event[] = [];
  for (const line of inst.events.poll()) {
    try {
      out.push(parseEvent(line));
    } catch (err) {
      logger.warn(`Watcher for instance ${q(inst.name)} stopped`, { error: `failed to unmarshal ${q(line)} as *events.Event: ${errorMessage(err)}` });
      return undefined;
    }
  }
  return out;
}

async function watch(names: string[], opts: WatchOptions): Promise<void> {
  // Lima shows only warnings unless --verbose.
  if (!opts.verbose) configureLogger({ level: "warning" });
  const beginMs = opts.history ? Number.NEGATIVE_INFINITY : Date.now();
  const watchAll = names.length === 0;
  const known = new Set<string>();
  if (watchAll) {
    names = instanceNames();
    for (const name of names) known.add(name);
    if (names.length === 0) printStatus("No instances found");
  }
  const watching = new Map<string, InstanceLogs>();
  const add = async (name: string): Promise<void> => {
    if (watching.has(name)) return;
    const inst = await openInstance(name);
    if (inst) watching.set(name, inst);
  };
  for (const name of names) await add(name);
  printStatus("Watching for events...");

  const stop = new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  while (!stopped) {
    if (watchAll) {
      for (const name of newInstances(known)) {
        printStatus(`New instance detected: ${name}`);
        await add(name);
      }
    }
    for (const inst of [...watching.values()]) {
      if (opts.verbose) for (const line of inst.logs.poll()) propagateLogLine(line, beginMs);
      const events = readEvents(inst);
      if (events === undefined) {
        inst.events.close();
        inst.logs.close();
        watching.delete(inst.name);
        continue;
      }
      for (const ev of events) {
        if (isBefore(ev, beginMs)) continue;
        process.stdout.write(opts.json ? `${jsonLine(inst.name, ev)}\n` : humanReadableLines(inst.name, ev).map((l) => `${l}\n`).join(""));
      }
    }
    await Promise.race([sleep(POLL_MS), stop]);
  }
}

export function register(program: Command): Command {
  const cmd = program
    .command("watch")
    .usage("[INSTANCE]...")
    .summary("Watch events from instances")
    .description(
      "Watch events from Lima instances.\n\n" +
        "Events include status changes (starting, running, stopping), port forwarding\n" +
        "events, and other instance lifecycle events.\n\n" +
        "If no instance is specified, events from all instances are watched,\n" +
        "including newly created instances.\n\n" +
        "The command will continue watching until interrupted (Ctrl+C).",
    )
    .helpGroup(ADVANCED_GROUP)
    .argument("[instance...]");
  boolFlag(cmd, "--json", "Output events as newline-delimited JSON");
  boolFlag(cmd, "--history", "Include historical events from before watch started");
  boolFlag(cmd, "--verbose", "Show verbose output");
  cmd.action(async (names: string[], opts: WatchOptions) => watch(names, opts));
  return cmd;
}
