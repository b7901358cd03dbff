// Browser code: load the catalogue from the API and build every section from it, so a new
// policy shows up without a new page.
export const MAIN_JS = String.raw`
function byId(id) { return document.getElementById(id); }

async function main() {
  watchGlyphs(document.body);
  const status = byId("load-status");
  try {
    const [levels, scenarios] = await Promise.all([api("v1/levels"), api("v1/scenarios")]);
    byId("level-list").replaceChildren(renderLevelList(levels));
    byId("core-matrix").replaceChildren(renderCoreMatrix(levels));
    byId("runtime-figures").replaceChildren(renderRuntimeFigures(levels));
    byId("tech-matrix").replaceChildren(renderTechnicalMatrix(levels));
    setupChart(levels, byId("chart-controls"), byId("chart-legend"), byId("chart-figure"));
    byId("scenario-table").replaceChildren(renderScenarioTable(scenarios, levels));
    setupDecide(byId("decide-form"), byId("decide-summary"), byId("decide-result"), scenarios);
    setupCompare(byId("compare-form"), byId("compare-summary"), byId("compare-result"), levels);
    status.textContent = "";
    status.hidden = true;
    document.body.dataset.ready = "true";
  } catch (err) {
    status.textContent = "Could not load the catalogue from the API: " + err.message;
    status.classList.add("alert");
    return;
  }
  try {
    const p = await api("v1/policy");
    byId("policy-info").textContent = "Policy " + p.active.name + " " + p.active.version + " (" + p.active.source + ")";
  } catch (_) {
    // The policy line is a courtesy; the console works without it.
  }
}

main();
`;
