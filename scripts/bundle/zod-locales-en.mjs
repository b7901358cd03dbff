// zod's `locales` namespace for the CLI bundle: English only (the language zod is configured
// with, and the only one isoplace uses). The full namespace is ~250 files and was most of the
// bundled zod, loaded and run at every start of the agent.
export { default as en } from "zod/v4/locales/en.js";
