// yq v4 expression engine (the subset Lima uses) on top of the `yaml` package.
export { evaluateExpression, evaluateJSON, evaluateWithEncoder } from "./api.js";
export { colorize } from "./color.js";
export type { PrintOptions } from "./printer.js";
export { runYqCLI, YQ_VERSION, type YqIO } from "./cli.js";
export { YqSyntaxError } from "./lexer.js";
export { YqEvalError } from "./arithmetic.js";
export { ENV_DISABLED, FILE_DISABLED } from "./evaluate.js";
