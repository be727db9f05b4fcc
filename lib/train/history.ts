/**
 * Training history, skorch-style: one record per epoch with the epoch's scores, `*_best` flags and the
 * per-batch losses; printed as skorch's table and exported as JSON.
 */

export interface BatchRecord {
  train_loss?: number;
  valid_loss?: number;
  train_batch_size?: number;
  valid_batch_size?: number;
}

export interface EpochRecord {
  epoch: number;
  train_loss: number;
  valid_loss: number | null;
  valid_acc: number | null;
  dur: number;
  train_loss_best: boolean;
  valid_loss_best: boolean | null;
  valid_acc_best: boolean | null;
  train_batch_count: number;
  valid_batch_count: number;
  batches: BatchRecord[];
  [key: string]: unknown;
}

/** The best scores over the first `count` records (NaN: none yet). */
interface Bests {
  count: number;
  train_loss: number;
  valid_loss: number;
  valid_acc: number;
}

export class History {
  readonly epochs: EpochRecord[] = [];

  get length(): number {
    return this.epochs.length;
  }

  /** The last record, or undefined. */
  last(): EpochRecord | undefined {
    return this.epochs[this.epochs.length - 1];
  }

  /** Values of one key over the epochs (like skorch's net.history[:, 'train_loss']). */
  column<K extends keyof EpochRecord>(key: K): EpochRecord[K][] {
    return this.epochs.map((e) => e[key]);
  }

  /**
   * The best train_loss, valid_loss and valid_acc over the first `count` epochs (NaN: none yet), so that push is
   * O(1): comparing with every earlier epoch made a fit of E epochs O(E^2) (20000 pushes: 22 s). Rebuilt when
   * `epochs` was changed from outside (its length is not `count`).
   */
  #best: Bests = { count: 0, train_loss: NaN, valid_loss: NaN, valid_acc: NaN };

  private bests(): Bests {
    if (this.#best.count !== this.epochs.length) {
      const b: Bests = { count: 0, train_loss: NaN, valid_loss: NaN, valid_acc: NaN };
      for (const e of this.epochs) takeBests(b, e);
      this.#best = b;
    }
    return this.#best;
  }

  /**
   * Adds an epoch record and fills its `_best` flags from the earlier ones (lower loss / higher acc). The bests are
   * kept as records are pushed: a train_loss/valid_loss/valid_acc changed in a record already pushed is not seen
   * (add or remove records, which rebuilds them, or push corrected records instead).
   */
  push(rec: Omit<EpochRecord, 'train_loss_best' | 'valid_loss_best' | 'valid_acc_best'>): EpochRecord {
    const b = this.bests();
    // strictly better than every earlier number (NaN and null records are skipped); none: null, false for train
    const best = (key: 'train_loss' | 'valid_loss' | 'valid_acc', lowerIsBetter: boolean): boolean | null => {
      const v = rec[key] as number | null;
      if (v === null || v === undefined || Number.isNaN(v)) return key === 'train_loss' ? false : null;
      const pb = b[key];
      return Number.isNaN(pb) || (lowerIsBetter ? v < pb : v > pb);
    };
    const full = {
      ...rec,
      train_loss_best: best('train_loss', true) === true,
      valid_loss_best: best('valid_loss', true),
      valid_acc_best: best('valid_acc', false),
    } as EpochRecord;
    this.epochs.push(full);
    takeBests(b, full);
    return full;
  }

  /** Plain objects (without per-batch records unless asked), ready for JSON. */
  toJSON(options: { batches?: boolean } = {}): Record<string, unknown>[] {
    return this.epochs.map((e) => {
      const { batches, ...rest } = e;
      return options.batches ? { ...rest, batches } : rest;
    });
  }

  /** Records as toJSON wrote them (checked by checkRecords: a TypeError names the first bad one). */
  static fromJSON(records: Record<string, unknown>[]): History {
    checkRecords(records, 'History.fromJSON: records');
    const h = new History();
    for (const r of records) h.epochs.push({ ...(r as EpochRecord), batches: (r.batches as BatchRecord[]) ?? [] });
    return h;
  }
}

/** The running bests `b` with one more record `e` (counted). */
function takeBests(b: Bests, e: EpochRecord): void {
  b.train_loss = better(e.train_loss, b.train_loss, true);
  b.valid_loss = better(e.valid_loss, b.valid_loss, true);
  b.valid_acc = better(e.valid_acc, b.valid_acc, false);
  b.count++;
}

/** The better of a record's value v (skipped when not a number or NaN) and the best so far (NaN: none). */
function better(v: unknown, best: number, lowerIsBetter: boolean): number {
  if (typeof v !== 'number' || Number.isNaN(v)) return best;
  if (Number.isNaN(best)) return v;
  return lowerIsBetter ? Math.min(v, best) : Math.max(v, best);
}

/** A value in a message about a file's entry: 'an array', 'an object', 'null', a quoted string, a number. */
export function described(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `'${v}'` : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}

/**
 * Checks epoch records as History.toJSON writes them (a model file's history), so that a corrupt one is named
 * here rather than met later by a callback or the table: an array of objects, each with a positive integer
 * `epoch` and a numeric `train_loss`; `valid_loss` and `valid_acc` numbers or null, `dur` a number and `batches`
 * an array where present. Other keys (a callback's) are free. `name` is the array's name in the messages.
 */
export function checkRecords(records: unknown, name: string): asserts records is Record<string, unknown>[] {
  if (!Array.isArray(records)) {
    throw new TypeError(`${name} must be an array of epoch records, got ${described(records)}`);
  }
  records.forEach((r: unknown, i) => {
    const at = `${name}[${i}]`;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new TypeError(`${at} must be an epoch record (an object), got ${described(r)}`);
    }
    const rec = r as Record<string, unknown>;
    const e = rec.epoch;
    if (typeof e !== 'number' || !Number.isSafeInteger(e) || e < 1) {
      throw new TypeError(`${at}.epoch must be a positive integer, got ${described(e)}`);
    }
    if (typeof rec.train_loss !== 'number') {
      throw new TypeError(`${at}.train_loss must be a number, got ${described(rec.train_loss)}`);
    }
    for (const k of ['valid_loss', 'valid_acc']) {
      const v = rec[k];
      if (v !== undefined && v !== null && typeof v !== 'number') {
        throw new TypeError(`${at}.${k} must be a number or null, got ${described(v)}`);
      }
    }
    if (rec.dur !== undefined && typeof rec.dur !== 'number') {
      throw new TypeError(`${at}.dur must be a number, got ${described(rec.dur)}`);
    }
    if (rec.batches !== undefined && !Array.isArray(rec.batches)) {
      throw new TypeError(`${at}.batches must be an array, got ${described(rec.batches)}`);
    }
  });
}

const COLORS = { train_loss: '\x1b[36m', valid_acc: '\x1b[35m', valid_loss: '\x1b[32m' } as const;
const RESET = '\x1b[0m';

export interface TableColumn {
  key: string;
  header: string;
  format: (v: unknown) => string;
  bestKey?: keyof typeof COLORS;
}

const num4 = (v: unknown): string => (typeof v === 'number' ? v.toFixed(4) : '');
/**
 * dur in its 6 columns: 4 decimals below 10 s, fewer above (12.346, 123.46, 1234.6), so a slow epoch (the
 * TypeScript backend's full MNIST epoch) stays under its header instead of pushing the row one column right.
 */
const dur6 = (v: unknown): string => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return num4(v);
  for (let d = 4; d > 0; d--) {
    const s = v.toFixed(d);
    if (s.length <= 6) return s;
  }
  return v.toFixed(0);
};

export const DEFAULT_COLUMNS: TableColumn[] = [
  { key: 'epoch', header: 'epoch', format: (v) => String(v) },
  { key: 'train_loss', header: 'train_loss', format: num4, bestKey: 'train_loss' },
  { key: 'valid_acc', header: 'valid_acc', format: num4, bestKey: 'valid_acc' },
  { key: 'valid_loss', header: 'valid_loss', format: num4, bestKey: 'valid_loss' },
  { key: 'dur', header: 'dur', format: dur6 },
];

/**
 * skorch's epoch table (tabulate 'simple' format): right-aligned columns separated by two spaces, a dashed
 * rule under the header. Widths are fixed from the header and a 4-decimal value so rows can be printed one
 * epoch at a time.
 */
export class HistoryTable {
  readonly widths: number[];
  constructor(
    readonly columns: TableColumn[] = DEFAULT_COLUMNS,
    readonly color = false,
  ) {
    if (!Array.isArray(columns)) throw new TypeError(`HistoryTable: 'columns' must be an array, got ${typeof columns}`);
    columns.forEach((c, i) => {
      if (c === null || typeof c !== 'object' || typeof c.key !== 'string' || typeof c.header !== 'string' ||
        typeof c.format !== 'function') {
        throw new TypeError(`HistoryTable: columns[${i}] must be { key, header, format(v) } (a TableColumn)`);
      }
    });
    if (typeof color !== 'boolean') throw new TypeError(`HistoryTable: 'color' must be a boolean, got ${typeof color}`);
    // tabulate's 'simple' format as skorch prints it: headers get 2 spaces of padding; values are 4-decimal.
    this.widths = columns.map((c) => Math.max(c.header.length + 2, 6));
  }
  header(): string {
    const head = this.columns.map((c, i) => c.header.padStart(this.widths[i])).join('  ');
    const rule = this.widths.map((w) => '-'.repeat(w)).join('  ');
    return `${head}\n${rule}`;
  }
  row(rec: EpochRecord): string {
    return this.columns
      .map((c, i) => {
        const s = c.format(rec[c.key]).padStart(this.widths[i]);
        if (this.color && c.bestKey && rec[`${c.bestKey}_best`] === true) return COLORS[c.bestKey] + s + RESET;
        return s;
      })
      .join('  ');
  }
  render(history: History): string {
    return [this.header(), ...history.epochs.map((e) => this.row(e))].join('\n');
  }
}
