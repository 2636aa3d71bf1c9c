import type { Command } from "commander";
import { BASIC_GROUP } from "../help.js";
import { bytesSize } from "../../config/size.js";
import { logger } from "../../log/logger.js";
import { InvalidInstanceNameError } from "../../identifiers/validate.js";
import { instanceDir } from "../../store/dirnames.js";
import type { Instance } from "../../store/instance.js";
import { inspect, instanceNames, InstanceNotFoundError, tildePath } from "../../store/store.js";
import { errorMessage, LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { tabwrite } from "../../util/tabwriter.js";
import type { PrintOptions } from "../../yq/index.js";
import { outputIsTTY } from "../../util/tty.js";
import { boolFlag } from "../flags.js";
import { hostArch } from "../../config/host.js";

interface ListOptions {
  format?: string;
  listFields?: boolean;
  json?: boolean;
  quiet?: boolean;
  allFields?: boolean;
  yq?: string[];
  filter?: string[];
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function register(program: Command): Command {
  const cmd = program
    .command("list")
    .alias("ls")
    .usage("[flags] [INSTANCE]...")
    .summary("List instances of Lima")
    .helpGroup(BASIC_GROUP)
    .description("List instances of Lima.")
    .argument("[instance...]")
    .option("-f, --format <format>", "output format, one of: json, yaml, table, go-template")
    .option("--yq <expr>", "Apply yq expression to each instance", collect)
    .option("-l, --filter <expr>", "Filter instances using yq expression", collect);
  boolFlag(cmd, "--list-fields", "List fields available for format");
  boolFlag(cmd, "--json", "JSONify output");
  boolFlag(cmd, "-q, --quiet", "Only show names");
  boolFlag(cmd, "--all-fields", "Show all fields");
  cmd.action(async (_args: string[], opts: ListOptions) => list(cmd.args, opts));
  return cmd;
}

function checkFlagConflicts(opts: ListOptions): void {
  if (opts.json && opts.format !== undefined) throw new LimaError("option --json conflicts with option --format");
  if (opts.listFields && opts.format !== undefined) throw new LimaError("option --list-fields conflicts with option --format");
  if (opts.yq && opts.format !== undefined && opts.format !== "json" && opts.format !== "yaml") {
    throw new LimaError("option --yq only works with --format json or yaml");
  }
  if (opts.listFields && opts.yq) throw new LimaError("option --list-fields conflicts with option --yq");
  if (opts.listFields && opts.filter) throw new LimaError("option --list-fields conflicts with option --filter");
  if (opts.quiet && opts.format !== undefined && opts.format !== "table") {
    throw new LimaError("option --quiet can only be used with '--format table'");
  }
}

function selectNames(all: string[], args: string[]): { names: string[]; unmatched: boolean } {
  if (args.length === 0) return { names: all, unmatched: false };
  const names: string[] = [];
  let unmatched = false;
  for (const arg of args) {
    if (all.includes(arg)) names.push(arg);
    else {
      logger.warn(`No instance matching ${arg} found.`);
      unmatched = true;
    }
  }
  return { names, unmatched };
}

async function inspectAll(names: string[]): Promise<Instance[]> {
  const out: Instance[] = [];
  for (const name of names) {
    try {
      out.push(await inspect(name));
    } catch (err) {
      // A directory whose name is no instance name is never read (Lima fails the listing).
      if (err instanceof InvalidInstanceNameError) throw new LimaError(`unable to load instance ${name}: ${errorMessage(err)}`);
      const status = err instanceof InstanceNotFoundError ? "Broken" : "";
      out.push({ name, hostname: "", status, dir: instanceDir(name), vmType: "", arch: "", protected: false, limaVersion: "", errors: [errorMessage(err)] });
    }
  }
  return out;
}

async function applyFilters(instances: Instance[], filters: string[] | undefined): Promise<Instance[]> {
  if (!filters || filters.length === 0) return instances;
  const [{ evaluateJSON }, { instanceJSON }] = await Promise.all([import("../../yq/index.js"), import("../../store/format.js")]);
  const expr = filters.map((f) => `select(${f})`).join(" | ");
  return instances.filter((inst) => evaluateJSON(expr, instanceJSON(inst, false)).some((v) => v !== undefined));
}

function table(instances: Instance[], allFields: boolean): string {
  const width = process.stdout.isTTY && !allFields ? process.stdout.columns : undefined;
  const sameVMType = instances.every((i) => i.vmType === instances[0]?.vmType);
  const sameArch = instances.every((i) => i.arch === hostArch());
  let showVMType = true;
  let showArch = true;
  let showDir = true;
  if (width !== undefined) {
    const col = 8;
    if (96 > width && sameVMType) showVMType = false;
    let cols = 1 + 2 + 2 + (showVMType ? 1 : 0) + 1 + 3;
    if ((cols + 6) * col > width && sameArch) showArch = false;
    cols = 1 + 2 + 2 + (showVMType ? 1 : 0) + (showArch ? 1 : 0) + 3;
    if ((cols + 2) * col > width) showDir = false;
  }
  const header = ["NAME", "STATUS", "SSH", ...(showVMType ? ["VMTYPE"] : []), ...(showArch ? ["ARCH"] : []), "CPUS", "MEMORY", "DISK", ...(showDir ? ["DIR"] : [])];
  const rows = instances.map((i) => [
    i.name,
    i.status,
    `${i.sshAddress ?? ""}:${i.sshLocalPort ?? 0}`,
    ...(showVMType ? [i.vmType] : []),
    ...(showArch ? [i.arch] : []),
    String(i.cpus ?? 0),
    bytesSize(i.memory ?? 0),
    bytesSize(i.disk ?? 0),
    ...(showDir ? [tildePath(i.dir)] : []),
  ]);
  return tabwrite([header, ...rows]);
}

async function list(args: string[], opts: ListOptions): Promise<void> {
  checkFlagConflicts(opts);
  if (opts.listFields) {
    const { LIST_FIELDS } = await import("../../store/format.js");
    process.stdout.write(`${LIST_FIELDS.join("\n")}\n`);
    return;
  }
  const all = instanceNames();
  if (all.length === 0 && args.length === 0) {
    logger.warn("No instance found. Run `limactl create` to create an instance.");
    return;
  }
  const { names, unmatched } = selectNames(all, args);
  if (opts.quiet && !opts.filter && !opts.yq) {
    for (const n of names) process.stdout.write(`${n}\n`);
    if (unmatched) throw new LimaError("unmatched instances");
    return;
  }
  const instances = await applyFilters(await inspectAll(names), opts.filter);
  for (const inst of instances) {
    if (inst.errors?.length) logger.warn(`instance ${q(inst.name)} has errors`, { errors: inst.errors });
  }
  if (opts.quiet && !opts.yq) {
    for (const inst of instances) process.stdout.write(`${inst.name}\n`);
  } else {
    process.stdout.write(await render(instances, opts));
  }
  if (unmatched) throw new LimaError("unmatched instances");
}

/** Lima deletes the empty maps its JSON encoder leaves, until none are left. */
const DELETE_EMPTY_OBJECTS = `del(.. | select(tag == "!!map" and length == 0))`;
const PLAIN_JSON: PrintOptions = { format: "json", indent: 0, unwrapScalar: true, docSeparators: true, colors: false };
const COLOR_JSON: PrintOptions = { ...PLAIN_JSON, indent: 4, colors: true };

type Formatters = typeof import("../../store/format.js");

async function render(instances: Instance[], opts: ListOptions): Promise<string> {
  let format = opts.json ? "json" : (opts.format ?? "table");
  // --yq implies --format json unless --format was given.
  if (opts.yq && opts.format === undefined) format = "json";
  // The table needs none of YAML, yq and Go templates: load them only for the other formats.
  if (format === "table") return table(instances, opts.allFields === true);
  const formatters = await import("../../store/format.js");
  if (format === "json" || format === "yaml") {
    const exprs = opts.yq ? [...opts.yq] : ["."];
    if (opts.quiet) exprs.push(".name");
    return format === "json" ? renderJSON(instances, exprs, outputIsTTY(), formatters) : renderYAML(instances, exprs, outputIsTTY(), formatters);
  }
  return instances.map((i) => `${formatters.renderInstanceTemplate(format, i)}\n`).join("");
}

/** One JSON line per instance, run through the `--yq` expressions (applied in order); on a terminal, indented and coloured. */
async function renderJSON(instances: Instance[], exprs: string[], tty: boolean, { instanceJSON }: Formatters): Promise<string> {
  const plain = exprs.length === 1 && exprs[0] === ".";
  const lines = instances.map((inst) => `${JSON.stringify(instanceJSON(inst))}\n`);
  if (plain && !tty) return lines.join("");
  const { evaluateWithEncoder } = await import("../../yq/index.js");
  return lines
    .map((line) => {
      let out = plain ? line : evaluateWithEncoder(`${exprs.join(" | ")} | ${DELETE_EMPTY_OBJECTS}`, line, PLAIN_JSON);
      for (let before = Infinity; !plain && out.length < before; ) {
        before = out.length;
        out = evaluateWithEncoder(DELETE_EMPTY_OBJECTS, out, PLAIN_JSON);
      }
      return tty ? evaluateWithEncoder(".", out, COLOR_JSON) : out;
    })
    .join("");
}

/** YAML documents run through the `--yq` expressions; on a terminal, coloured with yq's own indentation. */
async function renderYAML(instances: Instance[], exprs: string[], tty: boolean, { instanceYAML }: Formatters): Promise<string> {
  const yaml = instances.map((i) => `---\n${instanceYAML(i)}`).join("");
  if (!tty && exprs.length === 1 && exprs[0] === ".") return yaml;
  const { evaluateWithEncoder } = await import("../../yq/index.js");
  const print: PrintOptions = { format: "yaml", indent: 2, unwrapScalar: true, docSeparators: true, colors: tty, indentSeq: tty };
  return evaluateWithEncoder(exprs.join(" | "), yaml, print);
}
