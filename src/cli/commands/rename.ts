import type { Command } from "commander";
import { registerCloneLike } from "./clone.js";

export function register(program: Command): Command {
  return registerCloneLike(program, "rename");
}
