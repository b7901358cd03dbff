// The classes of bad module an agent must refuse, each with the rejection reason it must give:
// built from a good module and real keys (the shipping fixtures), for the soak and the tests.
import { META_SECTION } from "../../../host/engine/abi.ts";
import { customSections } from "../../../host/engine/meta.ts";
import { appendCustomSection } from "../../../host/policy/section.ts";
import { refillingModule } from "../../fixtures/looping-bytes.ts";
import { signHeader as sign, tamper, withMeta, type KeyFiles } from "../../shipping/support/fixtures.ts";

export interface BadModule {
  name: string;
  body: Uint8Array;
  signature: string | null;
  reason: string;
}

/** A hand-made module that imports env.now (a clock: anything but env.abort is refused), with good metadata. */
function importingModule(metaFrom: Uint8Array): Uint8Array {
  const code = new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    0x01,
    0x04,
    0x01,
    0x60,
    0x00,
    0x00, // type () → ()
    0x02,
    0x0b,
    0x01,
    0x03,
    0x65,
    0x6e,
    0x76,
    0x03,
    0x6e,
    0x6f,
    0x77,
    0x00,
    0x00, // import env.now
  ]);
  return appendCustomSection(code, META_SECTION, customSections(metaFrom, META_SECTION)[0]);
}

/**
 * `good`: a valid module (its metadata is reused); `failingSelfTest`: one whose own test vectors
 * fail; `trusted` signs (as a publisher would), `untrusted` is a key the agent does not know.
 */
export async function badModules(good: Uint8Array, failingSelfTest: Uint8Array, trusted: KeyFiles, untrusted: KeyFiles): Promise<BadModule[]> {
  // a serial above any good module's, so each class is refused by its own check, not as a downgrade
  const signed = async (name: string, body: Uint8Array, reason: string): Promise<BadModule> => ({
    name,
    body,
    signature: await sign(body, trusted, { serial: 2 ** 50 }),
    reason,
  });
  return [
    { name: "unsigned", body: good, signature: null, reason: "signature" },
    { name: "tampered (one byte of code flipped after signing)", body: tamper(good), signature: await sign(good, trusted), reason: "digest" },
    { name: "signed by an untrusted key", body: good, signature: await sign(good, untrusted), reason: "signature" },
    await signed(
      "wrong ABI version (metadata says abi 99)",
      withMeta(good, (m) => ({ ...m, abi: 99 })),
      "abi",
    ),
    await signed("failing its own self-test", failingSelfTest, "self-test"),
    await signed("importing a host function (env.now)", importingModule(good), "imports"),
    await signed("not WebAssembly (truncated to half)", good.slice(0, good.length >> 1), "invalid"),
    await signed("refilling its own budget (global.set of the meter's budget in a loop)", refillingModule(good), "invalid"),
  ];
}
