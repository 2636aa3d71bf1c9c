/** Lima's `uiutil.OutputIsTTY`: stdout is a terminal, or `_LIMA_OUTPUT_IS_TTY` is set (for tests). */
export function outputIsTTY(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env._LIMA_OUTPUT_IS_TTY ?? "") !== "") return true;
  return process.stdout.isTTY === true;
}
