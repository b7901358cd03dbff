// /console.css: system fonts only (no web fonts), no glyph that needs a special font (marks are
// drawn, Chinese shown on request), contrast ≥ 4.5:1 for text, a visible focus ring, and a
// layout that holds at 375 px (wide tables scroll inside their own box) and fits 1280 px.
export const CONSOLE_CSS = `
:root {
  --ink: #1b1f24; --muted: #4a5260; --line: #c9ced6; --soft: #f3f5f8; --paper: #ffffff;
  --accent: #1a56a6; --focus: #0b57d0; --good: #1e6b2a; --bad: #a3231b; --warn-bg: #fdf3e1;
  --c0: #1f5fa8; --c1: #a34f00; --c2: #2e7d32; --c3: #7b3fa0; --c4: #b3261e; --c5: #4a5568;
  color-scheme: light;
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; color: var(--ink); background: var(--paper); line-height: 1.5;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
}
.wrap { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
h1, h2, h3 { line-height: 1.25; }
h2 { margin: 2.5rem 0 1rem; padding-top: .5rem; border-top: 2px solid var(--line); font-size: 1.5rem; }
h3 { margin: 1.5rem 0 .5rem; font-size: 1.15rem; }
a { color: var(--accent); }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: .9em; }
code { overflow-wrap: anywhere; }
pre { background: var(--soft); padding: .75rem; overflow-x: auto; max-width: 100%; }

:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: .5rem; top: -3rem; background: var(--paper); padding: .5rem .75rem; z-index: 10; }
.skip:focus { top: .5rem; }
.sr-only {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}

header.site { background: #14325c; color: #fff; padding: 1rem 0 .5rem; }
header.site h1 { margin: 0; font-size: 1.6rem; }
header.site .sub { font-weight: 400; opacity: .9; }
header.site .tagline, header.site .policy { margin: .25rem 0; }
header.site .policy:empty { display: none; }
header.site a { color: #fff; }
header.site nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; margin: .5rem 0 0; }
header.site nav a { display: inline-block; padding: .25rem 0; }
header.site :focus-visible { outline-color: #ffd166; }
footer { margin: 3rem auto 2rem; color: var(--muted); }

.alert { color: var(--bad); font-weight: 600; }
.hint { display: block; color: var(--muted); font-size: .875rem; font-weight: 400; }
.zh { color: var(--muted); font-size: .9em; }
/* Chinese names need a font many systems lack: shown only when the reader ticks #show-zh */
body:not(:has(#show-zh:checked)) .zh { display: none !important; }
.zh-toggle { margin: .25rem 0; font-size: .9rem; }
.zh-toggle input { margin: 0 .4rem 0 0; vertical-align: -.1rem; }
.glyph { display: inline-flex; gap: .1em; vertical-align: -.15em; }
.glyph-text { display: none; }
svg.mark { width: 1em; height: 1em; flex: none; }
.mark-ok rect { fill: var(--good); }
.mark-no rect { fill: var(--bad); }
.mark-ok path, .mark-no path { fill: none; stroke: #fff; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }
.mark-warn path:first-child { fill: #c98a00; stroke: #c98a00; stroke-linejoin: round; }
.mark-warn path + path { fill: none; stroke: var(--ink); stroke-width: 1.8; stroke-linecap: round; }
.mark-star path { fill: #8a6100; }
.mark-check path { fill: none; stroke: var(--good); stroke-width: 2.2; stroke-linecap: round; stroke-linejoin: round; }
.tag { display: inline-block; margin-left: .5rem; padding: 0 .4rem; border: 1px solid var(--line); border-radius: .25rem; font-size: .8rem; color: var(--muted); font-weight: 400; }
.level-id { display: inline-block; min-width: 2.2em; padding: 0 .3rem; border-radius: .25rem; background: #14325c; color: #fff; font-weight: 700; text-align: center; }
.level-id.big { font-size: 1.6rem; padding: 0 .6rem; }

.level-list { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .75rem; margin: 0; }
.level-item { border: 1px solid var(--line); border-radius: .4rem; padding: .5rem .75rem; background: var(--soft); }
.level-item dt { font-weight: 700; }
.level-item dd { margin: .25rem 0 0; }
.level-item .examples { display: block; color: var(--muted); font-size: .875rem; }

.table-wrap { position: relative; max-width: 100%; overflow-x: auto; margin: .5rem 0 1rem; border: 1px solid var(--line); border-radius: .4rem; }
table { border-collapse: collapse; width: 100%; font-size: .925rem; }
caption { text-align: left; padding: .5rem .75rem; font-weight: 600; caption-side: top; }
th, td { padding: .45rem .6rem; border-top: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--soft); white-space: nowrap; }
thead th .level-name, thead th .zh { display: block; font-weight: 400; }
tbody th { font-weight: 600; min-width: 9rem; }
table.matrix td { white-space: nowrap; }
table.matrix tr[data-runtime] td:last-child { white-space: normal; min-width: 14rem; }
.stars { color: #6b4e00; letter-spacing: .05em; }
.na { color: var(--muted); }
table.scenarios td { min-width: 10rem; }
td.fit .symbol { display: block; font-size: 1.1rem; }
td.fit .note, td.fit .stack, .choice-line { display: block; }
td.fit .stack { color: var(--muted); font-size: .85rem; }
td.fit-0 { background: #fbeceb; }
.added { color: var(--bad); font-weight: 700; margin-left: .15rem; }
.legend { color: var(--muted); font-size: .9rem; }

.controls { display: flex; flex-wrap: wrap; gap: 1rem; }
fieldset { border: 1px solid var(--line); border-radius: .4rem; margin: 0 0 1rem; padding: .5rem .75rem .75rem; min-width: 0; }
legend { font-weight: 700; padding: 0 .25rem; }
.choices { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: .25rem .75rem; align-items: start; }
.choices > legend, .choices > .hint, .choices > .order, .choices > .field-error { grid-column: 1 / -1; }
.controls .choices { flex: 1 1 18rem; }
.choices.narrow { grid-template-columns: repeat(auto-fill, minmax(min(100%, 12.5rem), 1fr)); }
.choice { display: flex; gap: .5rem; align-items: flex-start; padding: .2rem 0; }
.choice input { margin-top: .3rem; width: 1.1rem; height: 1.1rem; flex: none; }
/* words wrap whole ("paravirtualization" never splits); only a word wider than the column breaks */
.choice label { min-width: 0; overflow-wrap: break-word; hyphens: manual; }
.order { margin: .25rem 0 0; font-size: .875rem; color: var(--muted); }
.order:empty { display: none; }
.swatches { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; }
.swatch { display: inline-block; width: 1rem; height: 1rem; margin-right: .35rem; vertical-align: -.15rem; border-radius: .15rem; }
.swatch.c0, .bar.c0 { background: var(--c0); fill: var(--c0); }
.swatch.c1, .bar.c1 { background: var(--c1); fill: var(--c1); }
.swatch.c2, .bar.c2 { background: var(--c2); fill: var(--c2); }
.swatch.c3, .bar.c3 { background: var(--c3); fill: var(--c3); }
.swatch.c4, .bar.c4 { background: var(--c4); fill: var(--c4); }
.swatch.c5, .bar.c5 { background: var(--c5); fill: var(--c5); }
.figure { width: 100%; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg.chart text { font-size: 13px; fill: var(--ink); font-family: inherit; }
svg.chart .chart-metric { font-weight: 700; }
svg.chart .chart-na, svg.chart .chart-value { fill: var(--muted); }
details { margin: .5rem 0 1rem; }
summary { cursor: pointer; color: var(--accent); }
.empty { color: var(--muted); }

form .field { display: flex; flex-direction: column; gap: .2rem; margin: 0 0 1rem; max-width: 28rem; }
form .field label { font-weight: 600; }
.constraints { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: 0 1rem; }
.constraints > legend, .constraints > .hint, .constraints > .field-error { grid-column: 1 / -1; }
.constraints .field { margin-bottom: .5rem; }
select, input[type=number] {
  font: inherit; color: var(--ink); background: var(--paper); border: 1px solid #6b7280; border-radius: .3rem;
  padding: .45rem .5rem; min-height: 2.75rem; width: 100%; max-width: 100%;
}
[aria-invalid=true] { border-color: var(--bad); box-shadow: 0 0 0 1px var(--bad); }
.field-error { margin: .25rem 0 0; color: var(--bad); font-weight: 600; }
.field-error span { display: block; }
.pair { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: 0 1rem; max-width: 40rem; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; margin: .5rem 0 1rem; }
button {
  font: inherit; font-weight: 600; min-height: 2.75rem; padding: .5rem 1.25rem; border-radius: .3rem;
  border: 2px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer;
}
button.secondary { background: var(--paper); color: var(--accent); }
form[aria-busy=true] button[type=submit] { opacity: .7; }

.summary { margin: 1rem 0; }
.summary:empty { display: none; }
.verdict { font-size: 1.35rem; font-weight: 700; margin: 0 0 .25rem; }
.verdict.none { color: var(--bad); }
.explanation { margin: 0; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: .5rem 1rem; margin: 1rem 0; }
.facts dt { font-weight: 600; color: var(--muted); font-size: .875rem; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
table.ranking tbody th { min-width: 7.5rem; }
table.ranking .verdict-line { display: block; font-weight: 400; font-size: .875rem; }
table.ranking tr.feasible .verdict-line { color: var(--good); font-weight: 600; }
table.ranking .runtime-line { display: block; font-weight: 400; font-size: .8125rem; color: var(--muted); }
table.ranking tr.infeasible th, table.ranking tr.infeasible td { color: var(--muted); }
.reasons { margin: 0; padding-left: 1.1rem; }
td.winner { background: #e6f2e8; font-weight: 600; }
.win-mark { color: var(--good); }
td.better { white-space: nowrap; }

@media (max-width: 40rem) {
  h2 { font-size: 1.3rem; }
  th, td { padding: .4rem .45rem; }
  tbody th { min-width: 6.5rem; }
  thead th { white-space: normal; }
  table.compare td.better { white-space: normal; }
}
`;
