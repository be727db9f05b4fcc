/**
 * `swishnet report FILE.json`: a self-contained HTML report from the JSON that `swishnet train --json`
 * (training curves + history table) or `swishnet grid --json` (parallel coordinates + sortable table) wrote.
 */
import * as fs from 'fs';
import * as path from 'path';
import { formatHelp, parseArgs, OptionSpec, UsageError } from './args';
import { checkOutputPaths } from './train';
import { writeFileAtomic } from '../util/files';

export const reportSpecs: OptionSpec[] = [
  { name: 'out', type: 'string', metavar: 'FILE', description: 'the HTML file to write [FILE with .html instead of .json]' },
  { name: 'title', type: 'string', metavar: 'TEXT', description: 'page title' },
  { name: 'help', type: 'boolean', description: 'show this help' },
];

/** Which report a JSON payload is for: a training history or grid-search results. */
export function reportKind(payload: unknown): 'history' | 'grid' {
  if (payload && typeof payload === 'object') {
    if (Array.isArray((payload as { cvResults?: unknown }).cvResults)) return 'grid';
    if (Array.isArray((payload as { history?: unknown }).history)) return 'history';
  }
  throw new UsageError("the JSON has neither a 'history' array (swishnet train --json) nor a 'cvResults' array (swishnet grid --json)");
}

export async function runReport(argv: string[]): Promise<number> {
  const { options: o, positionals } = parseArgs(argv, reportSpecs);
  if (o.help) {
    process.stdout.write(
      formatHelp(
        'Usage: swishnet report FILE.json [--out report.html]',
        'Write a self-contained HTML report: training curves and the history table from `swishnet train --json`, or the parallel-coordinates view and sortable results table from `swishnet grid --json`.',
        reportSpecs,
      ),
    );
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one JSON file, got ${positionals.join(' ')}` : 'missing the JSON file to report on');
  const file = positionals[0];
  const out = String(o.out ?? path.join(path.dirname(file), `${path.basename(file, path.extname(file))}.html`));
  checkOutputPaths({ out }, ['out'], [file]);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read '${file}': ${(e as Error).message}`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`'${file}' is not valid JSON: ${(e as Error).message}`);
  }
  const kind = reportKind(payload);
  const { gridReportHtml, historyReportHtml } = await import('../viz/report');
  const title = o.title === undefined ? undefined : String(o.title);
  let html: string;
  try {
    html = kind === 'grid' ? gridReportHtml(payload as never, { title }) : historyReportHtml(payload as never, { title });
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new UsageError(`'${file}': ${e.message}`);
    throw e;
  }
  writeFileAtomic(out, html);
  console.log(`wrote ${out} (${kind === 'grid' ? 'grid-search report' : 'training report'})`);
  return 0;
}
