// The real registries the OCI tests run against (shared with the fleet simulation:
// bench/fleet/registry-server.ts): Debian's docker-registry (distribution 2.8) — without it the
// tests are skipped with a warning, except in CI (CI=true), where they run and fail at start saying
// what to install — and, from npm run peers, the distribution registry v3 and
// go-containerregistry's registry with the referrers API on.
import { haveRegistry as installed, REGISTRY_BIN, RegistryServer, type RegistryKind, type RegistryOptions } from "../../../bench/fleet/registry-server.ts";
import { havePeers, peerBin } from "../../support/peers.ts";

export { freePort, RegistryServer as TestRegistry, REGISTRY_BIN } from "../../../bench/fleet/registry-server.ts";

const IN_CI = /^(1|true)$/i.test(process.env.CI ?? "");
const present = installed();
if (!present && !IN_CI)
  console.warn(`tests/oci: registry tests SKIPPED, no ${REGISTRY_BIN} (apt-get install -y docker-registry). With CI=true they fail instead.`);

/** Whether to run the registry tests: the registry is installed, or this is CI (where its absence is a failure). */
export const haveRegistry = () => present || IN_CI;

export interface RegistryImpl {
  kind: RegistryKind;
  /** Its name and version, as the test titles show them. */
  title: string;
  /** The peer it needs (none for Debian's package). */
  peer?: string;
  /** Whether it serves the OCI 1.1 referrers API. */
  referrersApi: boolean;
}

/** The three registry implementations, and what each serves. */
export const REGISTRIES: RegistryImpl[] = [
  { kind: "docker-registry", title: "Debian's docker-registry (distribution 2.8)", referrersApi: false },
  { kind: "distribution", title: "distribution v3 (npm run peers: registry)", peer: "registry", referrersApi: false },
  { kind: "ggcr", title: "go-containerregistry's registry with the referrers API (npm run peers: ggcr-registry)", peer: "ggcr-registry", referrersApi: true },
];

/** Whether a registry implementation is there to test (or this is CI). */
export const haveImpl = (r: RegistryImpl) => (r.peer ? havePeers(r.peer) : haveRegistry());

export const startRegistry = (r: RegistryImpl, o: RegistryOptions = {}) =>
  RegistryServer.start({ ...o, kind: r.kind, ...(r.peer ? { bin: peerBin(r.peer) } : {}) });
