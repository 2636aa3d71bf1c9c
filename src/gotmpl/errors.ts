import { LimaError } from "../util/errors.js";

/** A template parse or execution error, worded as Go's text/template words it. */
export class TemplateError extends LimaError {
  constructor(
    message: string,
    readonly phase: "parse" | "exec",
  ) {
    super(message);
    this.name = "TemplateError";
  }
}
