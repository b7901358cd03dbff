// Before any suite: /console.js bundled from the client's sources as they are now, so a suite run
// on its own (npx vitest run tests/console) serves what the sources say, as npm test does.
import { buildConsoleScript } from "../../scripts/console-script.mjs";

export default async function setup() {
  await buildConsoleScript();
}
