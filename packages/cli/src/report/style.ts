/** The report's stylesheet (inline: the file needs nothing else). */
export const REPORT_CSS = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --bg: #ffffff; --soft: #f4f6fa; --good: #1a7f37; --bad: #b42318; --accent: #2453a6; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 8px; }
p, li { color: var(--fg); }
.muted, .note { color: var(--muted); }
code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; background: var(--soft); padding: 1px 4px; border-radius: 3px; }
.verdict { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0 4px; }
.badge { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; background: var(--soft); min-width: 220px; }
.badge b { display: block; font-size: 13px; color: var(--muted); font-weight: 600; }
.badge .v { font-size: 17px; font-weight: 600; }
.pass .v::before { content: "✔ "; color: var(--good); }
.fail .v::before { content: "✘ "; color: var(--bad); }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: right; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
td.model { font-weight: 600; }
td.better { color: var(--good); }
td.worse { color: var(--bad); }
.curves { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px; }
svg.curve { background: var(--soft); border-radius: 6px; width: 100%; height: auto; }
svg.curve .axis { stroke: #8a93a5; stroke-width: 1; }
svg.curve .raw { fill: none; stroke: #9db4e0; stroke-width: 1; }
svg.curve .smooth { fill: none; stroke: var(--accent); stroke-width: 2; }
svg.curve circle.smooth { fill: var(--accent); }
svg.curve .title { font: 600 13px system-ui, "DejaVu Sans", sans-serif; fill: var(--fg); }
svg.curve .tick, svg.curve .note, svg.curve .empty { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: var(--muted); }
.gen { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 14px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
figure .row { display: flex; gap: 6px; }
figure .cell { text-align: center; font-size: 12px; color: var(--muted); }
img.px { width: 96px; height: 96px; image-rendering: pixelated; display: block; border-radius: 3px; background: #000; }
img.thumb { width: 64px; height: 64px; image-rendering: pixelated; border-radius: 3px; background: #000; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 6px; }
td.ok::before { content: "✔ "; color: var(--good); }
td.no::before { content: "✘ "; color: var(--bad); }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; font-size: 14px; margin: 6px 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; word-break: break-all; }
.reuse { border-left: 4px solid var(--accent); background: var(--soft); padding: 8px 12px; margin: 12px 0; }
`;
