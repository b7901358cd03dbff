// Moved to host/package.ts (the CLI and `policy build` need the package's paths too); kept so
// existing imports keep working.
export * from "../package.ts";
