/**
 * Training curves: train/valid loss and valid accuracy per epoch from a skorch-style history
 * (`swishnet train --json FILE`), as SVG charts and as a self-contained HTML report with the history table.
 */
import { esc, formatNumber, lineChart, PALETTE, Series } from './svg';
import { backendLine, htmlPage, keyValues } from './html';

export interface HistoryRecord {
  epoch: number;
  train_loss?: number | null;
  valid_loss?: number | null;
  valid_acc?: number | null;
  dur?: number | null;
  train_loss_best?: boolean | null;
  valid_loss_best?: boolean | null;
  valid_acc_best?: boolean | null;
  [key: string]: unknown;
}

export interface HistoryPayload {
  history: HistoryRecord[];
  backend?: unknown;
  config?: Record<string, unknown>;
  test_acc?: number | null;
  fit_seconds?: number | null;
  [key: string]: unknown;
}

/** Checks the shape of a history payload (as written by `swishnet train --json`); throws a named error. */
export function validateHistoryPayload(payload: unknown): HistoryPayload {
  if (!payload || typeof payload !== 'object') throw new TypeError('payload must be an object with a history array');
  const h = (payload as HistoryPayload).history;
  if (!Array.isArray(h)) throw new TypeError('payload.history must be an array of epoch records');
  h.forEach((r, i) => {
    if (!r || typeof r !== 'object') throw new TypeError(`payload.history[${i}] must be an object`);
    if (typeof r.epoch !== 'number' || !Number.isFinite(r.epoch)) throw new TypeError(`payload.history[${i}].epoch must be a number`);
    for (const k of ['train_loss', 'valid_loss', 'valid_acc', 'dur'])
      if (r[k] !== undefined && r[k] !== null && typeof r[k] !== 'number') throw new TypeError(`payload.history[${i}].${k} must be a number or null`);
  });
  return payload as HistoryPayload;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const hasAny = (h: HistoryRecord[], k: string): boolean => h.some((r) => typeof r[k] === 'number' && Number.isFinite(r[k] as number));
const bestIdx = (h: HistoryRecord[], k: string): number[] => h.flatMap((r, i) => (r[`${k}_best`] === true ? [i] : []));

export interface HistoryChartOptions {
  width?: number;
  height?: number;
  idPrefix?: string;
}

/** The loss chart: train_loss and valid_loss per epoch, dots on the epochs that set a best. */
export function lossChartSvg(history: HistoryRecord[], o: HistoryChartOptions = {}): string {
  const epochs = history.map((r) => r.epoch);
  const series: Series[] = [
    { label: 'train_loss', x: epochs, y: history.map((r) => num(r.train_loss)), color: PALETTE[0], markers: bestIdx(history, 'train_loss'), attrs: { 'data-key': 'train_loss' } },
  ];
  if (hasAny(history, 'valid_loss'))
    series.push({ label: 'valid_loss', x: epochs, y: history.map((r) => num(r.valid_loss)), color: PALETTE[1], markers: bestIdx(history, 'valid_loss'), attrs: { 'data-key': 'valid_loss' } });
  return lineChart({
    series,
    width: o.width ?? 640,
    height: o.height ?? 380,
    title: 'Loss',
    xLabel: 'epoch',
    yLabel: 'cross-entropy',
    xInteger: true,
    zeroLines: false,
    legend: 'top-right',
    idPrefix: `${o.idPrefix ?? 'history'}-loss`,
  });
}

/** The accuracy chart: valid_acc per epoch (null when the history has no validation scores). */
export function accuracyChartSvg(history: HistoryRecord[], o: HistoryChartOptions = {}): string | null {
  if (!hasAny(history, 'valid_acc')) return null;
  const epochs = history.map((r) => r.epoch);
  return lineChart({
    series: [{ label: 'valid_acc', x: epochs, y: history.map((r) => num(r.valid_acc)), color: PALETTE[2], markers: bestIdx(history, 'valid_acc'), attrs: { 'data-key': 'valid_acc' } }],
    width: o.width ?? 640,
    height: o.height ?? 380,
    title: 'Validation accuracy',
    xLabel: 'epoch',
    yLabel: 'accuracy',
    xInteger: true,
    zeroLines: false,
    legend: 'bottom-right',
    idPrefix: `${o.idPrefix ?? 'history'}-acc`,
  });
}

const KNOWN = ['epoch', 'train_loss', 'valid_loss', 'valid_acc', 'dur'];
const HIDDEN = new Set(['batches', 'train_batch_count', 'valid_batch_count']);

/** The history as an HTML table, skorch's columns first, best values marked (class best, as skorch's colours). */
export function historyTableHtml(history: HistoryRecord[]): string {
  const extra = [...new Set(history.flatMap((r) => Object.keys(r)))].filter(
    (k) => !KNOWN.includes(k) && !HIDDEN.has(k) && !k.endsWith('_best') && history.some((r) => typeof r[k] === 'number' || typeof r[k] === 'string'),
  );
  const cols = [...KNOWN.filter((k) => k === 'epoch' || k === 'dur' || k === 'train_loss' || hasAny(history, k)), ...extra];
  const cell = (r: HistoryRecord, k: string): string => {
    const v = Object.hasOwn(r, k) ? r[k] : undefined; // a key named toString is not the record's method
    const best = r[`${k}_best`] === true;
    const text = typeof v === 'number' ? (k === 'epoch' ? String(v) : k === 'dur' ? v.toFixed(4) : formatNumber(v, 6)) : v === null || v === undefined ? '' : String(v);
    return `<td class="${esc(k)}${best ? ' best' : ''}"${best ? ' title="best so far"' : ''}>${esc(text)}</td>`;
  };
  return (
    `<table class="data history"><thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>\n` +
    history.map((r) => `<tr data-epoch="${esc(r.epoch)}">${cols.map((k) => cell(r, k)).join('')}</tr>`).join('\n') +
    '\n</tbody></table>'
  );
}

/** Summary numbers of a history: epochs, best valid accuracy (and its epoch), lowest losses, time. */
export function historySummary(p: HistoryPayload): Record<string, number | null> {
  const h = p.history;
  const min = (k: string): number | null => (hasAny(h, k) ? Math.min(...h.map((r) => num(r[k])).filter(Number.isFinite)) : null);
  const accs = h.map((r) => num(r.valid_acc));
  const bestAcc = hasAny(h, 'valid_acc') ? Math.max(...accs.filter(Number.isFinite)) : null;
  return {
    epochs: h.length,
    best_valid_acc: bestAcc,
    best_valid_acc_epoch: bestAcc === null ? null : h[accs.indexOf(bestAcc)].epoch,
    min_train_loss: min('train_loss'),
    min_valid_loss: min('valid_loss'),
    test_acc: typeof p.test_acc === 'number' ? p.test_acc : null,
    seconds: typeof p.fit_seconds === 'number' ? p.fit_seconds : h.reduce((s, r) => s + (Number.isFinite(num(r.dur)) ? num(r.dur) : 0), 0),
  };
}

/**
 * A self-contained HTML report of one training run: summary, loss and accuracy charts (inline SVG) and the
 * history table. `payload` is what `swishnet train --json` writes: { backend, config, history, test_acc }.
 */
export function historyReportHtml(payload: HistoryPayload, options: { title?: string } = {}): string {
  const p = validateHistoryPayload(payload);
  const s = historySummary(p);
  const title = options.title ?? 'swishnet training report';
  const act = p.config?.activation;
  const actText = act === undefined ? '' : typeof act === 'string' ? act : JSON.stringify(act);
  const loss = lossChartSvg(p.history);
  const acc = accuracyChartSvg(p.history);
  const headline = [
    actText ? `activation ${actText}` : '',
    `${s.epochs} epoch${s.epochs === 1 ? '' : 's'}`,
    s.best_valid_acc !== null ? `best valid_acc ${formatNumber(s.best_valid_acc, 4)} (epoch ${s.best_valid_acc_epoch})` : '',
    s.test_acc !== null ? `test_acc ${formatNumber(s.test_acc, 4)}` : '',
    s.seconds !== null ? `${formatNumber(s.seconds, 3)} s` : '',
  ].filter(Boolean);
  const body = `
<header>
<h1>${esc(title)}</h1>
<p class="meta summary">${esc(headline.join(' · '))}</p>
${p.backend ? `<p class="meta backend">${esc(backendLine(p.backend))}</p>` : ''}
</header>
<section class="card charts" id="curves">
<figure class="chart loss">${loss}</figure>
${acc ? `<figure class="chart accuracy">${acc}</figure>` : ''}
</section>
${p.config ? `<h2>Configuration</h2><section class="card config">${keyValues(Object.entries(p.config))}</section>` : ''}
<h2>History</h2>
<section class="card">${historyTableHtml(p.history)}</section>
<p class="note">Dots and highlighted cells mark epochs that set a new best (lowest loss, highest accuracy), as skorch's table colours them.</p>
`;
  return htmlPage(title, body, {
    css: `td.train_loss.best{color:#0072B2;font-weight:bold}td.valid_loss.best{color:#CC00CC;font-weight:bold}td.valid_acc.best{color:#009E73;font-weight:bold}`,
  });
}
