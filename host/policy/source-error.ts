// A policy source that does not validate: every error names the line and the field.
export interface SourceError {
  line: number | null;
  path: string;
  message: string;
}

export class PolicySourceError extends Error {
  readonly errors: SourceError[];
  constructor(file: string, errors: SourceError[]) {
    super(`${file}: invalid policy source\n${errors.map((e) => `  ${e.line ? `line ${e.line}: ` : ""}${e.path || "(document)"}: ${e.message}`).join("\n")}`);
    this.name = "PolicySourceError";
    this.errors = errors;
  }
}
