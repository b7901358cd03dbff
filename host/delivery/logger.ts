// The little a delivery component logs through: pino's Logger satisfies it, and so does a console
// wrapper on a runtime without pino. host/delivery imports no logging library.
export interface LoggerLike {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}
