// The real registry the OCI tests run against (shared with the fleet simulation: bench/fleet/registry-server.ts).
export { freePort, haveRegistry, RegistryServer as TestRegistry, REGISTRY_BIN } from "../../../bench/fleet/registry-server.ts";
