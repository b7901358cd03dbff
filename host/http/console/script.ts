// /console.js: the browser code, one strict-mode scope, no framework, no external URL.
import { CHART_JS } from "./client/chart.ts";
import { COMPARE_JS } from "./client/compare.ts";
import { DECIDE_JS } from "./client/decide.ts";
import { DOM_JS } from "./client/dom.ts";
import { MAIN_JS } from "./client/main.ts";
import { MATRIX_JS } from "./client/matrix.ts";
import { SCENARIOS_JS } from "./client/scenarios.ts";

export const CONSOLE_JS = [
  "// isoplace console",
  "(() => {",
  '"use strict";',
  DOM_JS, MATRIX_JS, CHART_JS, SCENARIOS_JS, DECIDE_JS, COMPARE_JS, MAIN_JS,
  "})();",
  "",
].join("\n");
