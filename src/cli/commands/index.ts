// Every limactl sub-command, one file each. Order = order in help output.
import type { Command } from "commander";
import * as clone from "./clone.js";
import * as completion from "./completion.js";
import * as copy from "./copy.js";
import * as create from "./create.js";
import * as deleteCmd from "./delete.js";
import * as edit from "./edit.js";
import * as factoryReset from "./factory-reset.js";
import * as hostagent from "./hostagent.js";
import * as info from "./info.js";
import * as list from "./list.js";
import * as protect from "./protect.js";
import * as prune from "./prune.js";
import * as rename from "./rename.js";
import * as restart from "./restart.js";
import * as shell from "./shell.js";
import * as showSSH from "./show-ssh.js";
import * as start from "./start.js";
import * as stop from "./stop.js";
import * as template from "./template.js";
import * as unprotect from "./unprotect.js";
import * as validate from "./validate.js";
import * as yq from "./yq.js";

export type RegisterCommand = (program: Command) => Command;

export const COMMANDS: RegisterCommand[] = [
  create.register,
  start.register,
  stop.register,
  restart.register,
  shell.register,
  copy.register,
  list.register,
  deleteCmd.register,
  edit.register,
  clone.register,
  rename.register,
  protect.register,
  unprotect.register,
  validate.register,
  template.register,
  info.register,
  factoryReset.register,
  prune.register,
  showSSH.register,
  yq.register,
  completion.register,
  hostagent.register,
];
