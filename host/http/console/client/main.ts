// The console's entry (bundled into /console.js): load the catalogue from the API and build every
// section from it, so a new policy shows up without a new page.
import { api, messageOf } from "./api.ts";
import type { Levels, PolicyStatus, Scenarios } from "./answers.ts";
import { setupChart } from "./chart.ts";
import { setupCompare } from "./compare.ts";
import { setupDecide } from "./decide.ts";
import { byId } from "./dom.ts";
import { watchGlyphs } from "./glyphs.ts";
import { renderCoreMatrix, renderLevelList, renderRuntimeFigures, renderTechnicalMatrix } from "./matrix.ts";
import { renderScenarioTable } from "./scenarios.ts";

const form = (id: string) => byId(id) as HTMLFormElement;

async function main(): Promise<void> {
  watchGlyphs(document.body);
  const status = byId("load-status");
  try {
    const [levels, scenarios] = await Promise.all([api<Levels>("v1/levels"), api<Scenarios>("v1/scenarios")]);
    byId("level-list").replaceChildren(renderLevelList(levels));
    byId("core-matrix").replaceChildren(renderCoreMatrix(levels));
    byId("runtime-figures").replaceChildren(renderRuntimeFigures(levels));
    byId("tech-matrix").replaceChildren(renderTechnicalMatrix(levels));
    setupChart(levels, byId("chart-controls"), byId("chart-legend"), byId("chart-figure"));
    byId("scenario-table").replaceChildren(renderScenarioTable(scenarios, levels));
    setupDecide(form("decide-form"), byId("decide-summary"), byId("decide-result"), scenarios);
    setupCompare(form("compare-form"), byId("compare-summary"), byId("compare-result"), levels);
    status.textContent = "";
    status.hidden = true;
    document.body.dataset.ready = "true";
  } catch (err) {
    status.textContent = "Could not load the catalogue from the API: " + messageOf(err);
    status.classList.add("alert");
    return;
  }
  try {
    const p = await api<PolicyStatus>("v1/policy");
    byId("policy-info").textContent = "Policy " + p.active.name + " " + p.active.version + " (" + p.active.source + ")";
  } catch (_) {
    // The policy line is a courtesy; the console works without it.
  }
}

main();
