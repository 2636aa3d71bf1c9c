import { guestAgentBinaryPath } from "../../guestagent/binary.js";
import { ADVANCED_GROUP } from "../help.js";
import path from "node:path";
import type { Command } from "commander";
import { loadYAML, toJSONObject } from "../../config/index.js";
import { allDrivers } from "../../driver/drivers.js";
import { limaHome } from "../../store/dirnames.js";
import { ConfigDir, UserPrivateKey } from "../../store/filenames.js";
import { hostArch, hostOS } from "../../config/host.js";
import { listTemplates, readTemplate } from "../../templates/index.js";
import { shareDir } from "../../util/pkgroot.js";
import { discoverPlugins, libexecLimaDirs } from "../../plugins/plugins.js";
import { VERSION_WITH_V } from "../../version.js";
import { colorize, evaluateJSON } from "../../yq/index.js";
import { outputIsTTY } from "../../util/tty.js";
import { SHELL_ENV_BLOCK } from "../../util/envfilter.js";
import { checkArgs } from "../flags.js";

function defaultTemplateConfig(): Record<string, unknown> {
  const text = Buffer.from(readTemplate("default")).toString("utf8");
  return toJSONObject(loadYAML(text, "", { warn: false }).config);
}

/** Lima keys Linux agents by arch alone (`x86_64`), others by `<OS>-<arch>`. */
function guestAgents(): Record<string, { location: string }> {
  const out: Record<string, { location: string }> = {};
  for (const arch of ["aarch64", "x86_64"] as const) {
    const location = guestAgentBinaryPath(arch);
    if (location) out[arch] = { location };
  }
  return out;
}

export function limaInfo(): Record<string, unknown> {
  const vmTypesEx: Record<string, { location: string }> = {};
  for (const d of allDrivers()) vmTypesEx[d.name] = { location: d.location };
  return {
    version: VERSION_WITH_V,
    templates: listTemplates(),
    defaultTemplate: defaultTemplateConfig(),
    limaHome: limaHome(),
    vmTypes: Object.keys(vmTypesEx),
    vmTypesEx,
    guestAgents: guestAgents(),
    shellEnvBlock: SHELL_ENV_BLOCK,
    hostOS: hostOS(),
    hostArch: hostArch(),
    identityFile: path.join(limaHome(), ConfigDir, UserPrivateKey),
    plugins: discoverPlugins(),
    libexecPaths: libexecLimaDirs(),
    sharePaths: [shareDir()],
  };
}

export function register(program: Command): Command {
  const cmd = program
    .command("info")
    .summary("Show diagnostic information")
    .helpGroup(ADVANCED_GROUP)
    .description("Show diagnostic information")
    .option("--yq <expr>", "Apply yq expression to the output", ".")
    .argument("[args...]");
  cmd.action(async (_a: string[], opts: { yq: string }) => {
    checkArgs(cmd, cmd.args, 0, 0);
    const tty = outputIsTTY();
    for (const v of evaluateJSON(opts.yq, limaInfo())) {
      const text = `${typeof v === "string" ? v : JSON.stringify(v, null, 4)}\n`;
      process.stdout.write(tty && typeof v !== "string" ? colorize(text) : text);
    }
  });
  return cmd;
}
