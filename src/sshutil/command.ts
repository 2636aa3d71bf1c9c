// The ssh program to run: `$SSH` (shell words: program plus leading arguments) or `ssh`.
export function sshCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const custom = env.SSH?.trim();
  if (!custom) return ["ssh"];
  return custom.split(/\s+/);
}
