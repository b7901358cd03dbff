// GET /: the console's HTML. The sections are empty until console.js fills them from the API.
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>isoplace console</title>
<link rel="stylesheet" href="console.css">
<link rel="icon" href="favicon.svg" type="image/svg+xml">
<script src="console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to the content</a>
<header class="site">
  <div class="wrap">
    <h1>isoplace <span class="sub">console</span></h1>
    <p class="tagline">Which isolation level and runtime a workload gets: compare the levels, try a decision.</p>
    <p id="policy-info" class="policy"></p>
    <p class="zh-toggle"><input type="checkbox" id="show-zh"><label for="show-zh">Show the Chinese names (requests accept them as ids; they need a font with Chinese characters)</label></p>
    <nav aria-label="Sections">
      <ul>
        <li><a href="#levels">Levels</a></li>
        <li><a href="#chart">Chart</a></li>
        <li><a href="#scenarios">Scenarios</a></li>
        <li><a href="#decide">Decide</a></li>
        <li><a href="#compare">Compare</a></li>
      </ul>
    </nav>
  </div>
</header>
<main id="main" class="wrap" tabindex="-1">
  <p id="load-status" role="status">Loading the catalogue…</p>
  <noscript><p class="alert">This console needs JavaScript. The same data is at <a href="v1/levels">/v1/levels</a> and <a href="v1/scenarios">/v1/scenarios</a>.</p></noscript>

  <section id="levels" aria-labelledby="levels-h">
    <h2 id="levels-h">The levels</h2>
    <div id="level-list"></div>
    <h3>Core matrix</h3>
    <div id="core-matrix"></div>
    <h3>Runtimes and their own figures</h3>
    <div id="runtime-figures"></div>
    <h3>Technical matrix</h3>
    <div id="tech-matrix"></div>
  </section>

  <section id="chart" aria-labelledby="chart-h">
    <h2 id="chart-h">Levels on chosen metrics</h2>
    <div id="chart-controls" class="controls"></div>
    <div id="chart-legend" class="legend"></div>
    <div id="chart-figure" class="figure"></div>
  </section>

  <section id="scenarios" aria-labelledby="scenarios-h">
    <h2 id="scenarios-h">Scenarios</h2>
    <div id="scenario-table"></div>
  </section>

  <section id="decide" aria-labelledby="decide-h">
    <h2 id="decide-h">Decide a placement</h2>
    <p>Every field is optional. The answer comes from <code>POST /v1/decide</code>, as any client gets it.</p>
    <form id="decide-form" novalidate aria-labelledby="decide-h"></form>
    <div id="decide-summary" class="summary" role="status" aria-live="polite"></div>
    <div id="decide-result"></div>
  </section>

  <section id="compare" aria-labelledby="compare-h">
    <h2 id="compare-h">Compare two levels</h2>
    <form id="compare-form" aria-labelledby="compare-h"></form>
    <p id="compare-summary" class="summary" role="status" aria-live="polite"></p>
    <div id="compare-result"></div>
  </section>
</main>
<footer class="wrap">
  <p>The data: <a href="v1/levels">/v1/levels</a> · <a href="v1/scenarios">/v1/scenarios</a> · the API: <a href="openapi.json">/openapi.json</a></p>
</footer>
</body>
</html>
`;

// GET /favicon.svg (and /favicon.ico, which browsers ask for by themselves): stacked levels.
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#14325c"/><rect x="6" y="6" width="20" height="4" rx="1" fill="#ffffff"/><rect x="8" y="12" width="16" height="4" rx="1" fill="#ffffff"/><rect x="10" y="18" width="12" height="4" rx="1" fill="#ffffff"/><rect x="12" y="24" width="8" height="3" rx="1" fill="#ffd166"/></svg>
`;
