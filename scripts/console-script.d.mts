/** Bundles the console's client (host/http/console/client) into host/http/console/script.generated.ts; the script's text. */
export function buildConsoleScript(): Promise<string>;
