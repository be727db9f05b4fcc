/**
 * The HTML reports: grid-search results (parallel coordinates with brushing + a sortable table, as HiPlot
 * shows them) and training histories (./history_report). Each is one self-contained file: inline SVG,
 * CSS and vanilla JS, nothing fetched.
 */
import { esc, formatNumber } from './svg';
import { backendLine, htmlPage, jsonForScript, keyValues } from './html';
import { buildParcoords, formatCell, paramLabel, parcoordsSvg, PcModel } from './parcoords';
import { PARCOORDS_CLIENT_JS } from './parcoords_client';

export { historyReportHtml, lossChartSvg, accuracyChartSvg, historyTableHtml, validateHistoryPayload } from './history_report';
export type { HistoryPayload, HistoryRecord } from './history_report';

export interface GridReportPayload {
  /** cvResults rows: params, param_<name>, split<k>_test_score, mean/std/rank_test_score, fit times. */
  cvResults: Array<Record<string, unknown>>;
  backend?: unknown;
  config?: Record<string, unknown>;
  seconds?: number;
  candidates?: number;
  nSplits?: number;
  bestParams?: Record<string, unknown> | null;
  bestScore?: number | null;
  /** `swishnet grid --refit`: the refit of the best candidate (its test accuracy, or stopped: true). */
  refit?: { test_acc?: number | null; stopped?: boolean; [key: string]: unknown } | null;
  [key: string]: unknown;
}

/** Checks the shape of a grid payload (as `swishnet grid --json` writes it); throws a named error. */
export function validateGridPayload(payload: unknown): GridReportPayload {
  if (!payload || typeof payload !== 'object') throw new TypeError('payload must be an object with a cvResults array');
  const rows = (payload as GridReportPayload).cvResults;
  if (!Array.isArray(rows)) throw new TypeError('payload.cvResults must be an array of result rows');
  if (rows.length === 0) throw new RangeError('payload.cvResults is empty: nothing to report');
  rows.forEach((r, i) => {
    if (!r || typeof r !== 'object') throw new TypeError(`payload.cvResults[${i}] must be an object`);
    // null: JSON's NaN (a scoring that returned NaN; such a candidate ranks last)
    const m = r.mean_test_score;
    if (typeof m !== 'number' && m !== null) {
      throw new TypeError(`payload.cvResults[${i}].mean_test_score must be a number (or null for NaN)`);
    }
  });
  return payload as GridReportPayload;
}

/** One line naming a candidate: its parameters, e.g. 'activation=leaky_relu(α=0.05)'. */
export function candidateLabel(row: Record<string, unknown>): string {
  const params = row.params && typeof row.params === 'object' ? (row.params as Record<string, unknown>) : {};
  const parts = Object.entries(params).map(([k, v]) => `${k.split('__').pop()}=${paramLabel(v)}`);
  const score = typeof row.mean_test_score === 'number' ? ` · mean ${row.mean_test_score.toFixed(4)}` : '';
  return (parts.join(', ') || 'candidate') + score;
}

const GRID_CSS = `
.pc-wrap{overflow-x:auto}
svg.parcoords{display:block;height:auto;user-select:none;-webkit-user-select:none}
svg.parcoords .pc-line{stroke-opacity:.85;transition:stroke-opacity .1s}
svg.parcoords .pc-line.dimmed{stroke:#cfcfcf;stroke-opacity:.35}
svg.parcoords .pc-line.hl{stroke-width:4;stroke-opacity:1}
svg.parcoords .pc-line.best{stroke-width:3}
svg.parcoords .tick text{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg.parcoords .pc-brush{fill:#0072B2;fill-opacity:.18;stroke:#0072B2;stroke-width:1}
svg.parcoords .pc-brush-area{cursor:crosshair}
.toolbar{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:0 0 8px}
.toolbar button,.toolbar select{font:inherit;padding:2px 8px}
#pc-filters{color:#0072B2}
table.data th[data-col]{cursor:pointer}
table.data th[aria-sort=ascending]::after{content:' ▲';font-size:10px}
table.data th[aria-sort=descending]::after{content:' ▼';font-size:10px}
table.data tr.best td{font-weight:bold}
table.data tr.hl td{background:#fff3c4}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;vertical-align:middle}
`;

/**
 * A self-contained HTML report of grid-search results. `payload` is what `swishnet grid --json` writes:
 * { backend, config, seconds, candidates, nSplits, bestParams, bestScore, cvResults }.
 */
export function gridReportHtml(payload: GridReportPayload, options: { title?: string } = {}): string {
  const p = validateGridPayload(payload);
  const rows = p.cvResults;
  const model: PcModel = buildParcoords(rows);
  const labels = rows.map(candidateLabel);
  const title = options.title ?? 'swishnet grid search';
  const nSplits = p.nSplits ?? model.columns.filter((c) => /^split\d+_test_score$/.test(c.key)).length;
  const best = model.best !== null ? rows[model.best] : undefined;
  const bestParams = p.bestParams ?? (best?.params as Record<string, unknown> | undefined);
  const bestScore = typeof p.bestScore === 'number' ? p.bestScore : (best?.mean_test_score as number | undefined);
  const candidates = p.candidates ?? rows.length;
  const refit = p.refit && typeof p.refit === 'object' ? p.refit : null;
  const headline = [
    `${candidates} candidate${candidates === 1 ? '' : 's'}`,
    nSplits ? `${nSplits}-fold CV` : '',
    typeof p.seconds === 'number' ? `${formatNumber(p.seconds, 3)} s` : '',
    bestParams ? `best ${Object.entries(bestParams).map(([k, v]) => `${k.split('__').pop()}=${paramLabel(v)}`).join(', ')}` : '',
    typeof bestScore === 'number' ? `mean accuracy ${bestScore.toFixed(4)}` : '',
    refit?.stopped ? 'refit stopped' : '',
    typeof refit?.test_acc === 'number' ? `refit test_acc ${refit.test_acc.toFixed(4)}` : '',
  ].filter(Boolean);

  const numericAxes = model.axes.map((a, i) => [a, i] as const).filter(([a]) => a.kind === 'num');
  const colorOptions = numericAxes
    .map(([a, i]) => `<option value="${i}"${i === model.colorBy ? ' selected' : ''}>${esc(a.label)}</option>`)
    .join('');
  const head =
    '<tr><th class="text">#</th>' +
    model.columns.map((c, ci) => `<th data-col="${ci}" data-key="${esc(c.key)}" class="${c.kind === 'cat' ? 'text' : ''}" tabindex="0" aria-sort="none" title="${esc(c.key)}">${esc(c.label)}</th>`).join('') +
    '</tr>';
  const body = model.rows
    .map((r) => {
      const cells = model.columns.map((c, ci) => `<td class="${c.kind === 'cat' ? 'text' : ''}" data-key="${esc(c.key)}">${esc(formatCell(c.key, r.values[ci]))}</td>`).join('');
      return `<tr data-i="${r.i}"${model.best === r.i ? ' class="best"' : ''}><td class="text"><span class="swatch" style="background:${r.color}"></span> ${r.i}</td>${cells}</tr>`;
    })
    .join('\n');
  const html = `
<header>
<h1>${esc(title)}</h1>
<p class="meta summary">${esc(headline.join(' · '))}</p>
${p.backend ? `<p class="meta backend">${esc(backendLine(p.backend))}</p>` : ''}
</header>
<section class="card" id="parcoords">
<div class="toolbar">
<span id="pc-count">${rows.length} of ${rows.length} candidates</span>
<button type="button" id="pc-reset">Reset filters</button>
<label>colour by <select id="pc-color">${colorOptions}</select></label>
<span id="pc-filters"></span>
</div>
<div class="pc-wrap">${parcoordsSvg(model, labels)}</div>
<p class="note">Drag along an axis to keep only the candidates inside the range (several axes combine); click an axis to clear it. Hover a line or a row to find its partner.</p>
</section>
<h2>Results</h2>
<section class="card">
<table class="data results" id="pc-table"><thead>${head}</thead><tbody>
${body}
</tbody></table>
<p class="note">Click a column header to sort; click again to reverse.</p>
</section>
${p.config ? `<h2>Configuration</h2><section class="card config">${keyValues(Object.entries(p.config))}</section>` : ''}
<script type="application/json" id="pc-data">${jsonForScript(model)}</script>
`;
  return htmlPage(title, html, { css: GRID_CSS, script: PARCOORDS_CLIENT_JS });
}
