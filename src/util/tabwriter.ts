// Go's text/tabwriter with the settings Lima uses (minwidth 4, tabwidth 8, padding 4, spaces):
// every column but the last is padded to its widest cell plus the padding.
export function tabwrite(rows: readonly (readonly string[])[], minWidth = 4, padding = 4): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, Math.max(minWidth, [...cell].length + padding));
    });
  }
  return rows
    .map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd((widths[i] ?? 0) - ([...cell].length - cell.length)) : cell)).join(""))
    .map((line) => `${line}\n`)
    .join("");
}
