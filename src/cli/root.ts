export async function runCLI(argv: string[]): Promise<void> {
  process.stdout.write(`todo ${argv.slice(2).join(" ")}\n`);
}
