// The real registry the OCI tests run against (shared with the fleet simulation:
// bench/fleet/registry-server.ts). Without Debian's docker-registry the tests are skipped with a
// warning — except in CI (CI=true), where they run and fail at start saying what to install.
import { haveRegistry as installed, REGISTRY_BIN } from "../../../bench/fleet/registry-server.ts";

export { freePort, RegistryServer as TestRegistry, REGISTRY_BIN } from "../../../bench/fleet/registry-server.ts";

const IN_CI = /^(1|true)$/i.test(process.env.CI ?? "");
const present = installed();
if (!present && !IN_CI) console.warn(`tests/oci: registry tests SKIPPED, no ${REGISTRY_BIN} (apt-get install -y docker-registry). With CI=true they fail instead.`);

/** Whether to run the registry tests: the registry is installed, or this is CI (where its absence is a failure). */
export const haveRegistry = () => present || IN_CI;
