/**
 * The progress bar of a search on a TTY (GridSearchCV's and crossValidate's `progress` option): fits done of the
 * total, the running fits' epochs, elapsed time and an ETA, on one line redrawn at most ~10 times a second, and
 * cleared before each finished fit's line and at the end (an abort or an error included).
 */
import type { TextOutput } from '../train/callbacks';

/** Where the search's bar goes: a stream (process.stderr) or any object with write(); drawn only when isTTY. */
export interface ProgressOutput extends TextOutput {
  /** The terminal's width: the line is cut to fit it [80; also when 0, as under script(1)]. */
  readonly columns?: number;
}

/**
 * Least time between two redraws for the fits' starts and epochs (ms), and the time after which the elapsed time is
 * redrawn without them. Not part of the package's API (lib/index.ts does not export it): tests set redrawMs to 0 to
 * see every update.
 */
export const progressTiming = { redrawMs: 100, tickMs: 1000 };
const BAR_WIDTH = 20;
const CLEAR = '\r\x1b[K';

/** 42s, 3m05s, 1h02m. */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** What one frame of the bar shows. */
export interface BarState {
  done: number;
  total: number;
  /** The running fits (in task order): epochs finished of maxEpochs (shown as the epoch running, finished + 1). */
  running: { epoch: number; maxEpochs: number }[];
  elapsedMs: number;
}

/** The share of the search done: finished fits, and the running ones by their finished epochs. */
function fractionDone(s: BarState): number {
  const partial = s.running.reduce((a, r) => a + Math.min(1, r.epoch / Math.max(1, r.maxEpochs)), 0);
  return s.total > 0 ? Math.min(1, (s.done + partial) / s.total) : 1;
}

/**
 * One frame (no control characters), at most `columns - 1` characters:
 * `CV ████████░░░░░░░░░░░░ 2/6 fits · epoch 3/25 1/25 · 1m12s · ETA 2m30s`. The running fits' epochs become
 * `3 running` when the line would not fit otherwise.
 */
export function formatBar(s: BarState, columns = 80): string {
  const frac = fractionDone(s);
  const filled = Math.round(frac * BAR_WIDTH);
  const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
  const eta = frac > 0 && frac < 1 ? fmtDuration((s.elapsedMs * (1 - frac)) / frac) : frac >= 1 ? '0s' : '--';
  const head = `CV ${bar} ${s.done}/${s.total} fits`;
  const tail = `${fmtDuration(s.elapsedMs)} · ETA ${eta}`;
  const max = Math.max(1, columns - 1);
  const epochs = s.running.map((r) => `${Math.min(r.epoch + 1, r.maxEpochs)}/${r.maxEpochs}`).join(' ');
  const full = s.running.length ? `${head} · epoch ${epochs} · ${tail}` : `${head} · ${tail}`;
  const line = full.length <= max || !s.running.length ? full : `${head} · ${s.running.length} running · ${tail}`;
  return line.length <= max ? line : line.slice(0, max);
}

/** The bar of one search (see GridSearchCV's `progress`): created only for a TTY. */
export class SearchProgress {
  private readonly t0 = performance.now();
  private readonly running = new Map<number, { epoch: number; maxEpochs: number }>();
  private done = 0;
  private shown = false;
  private closed = false;
  private dirty = false;
  private lastDraw = -Infinity;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly out: ProgressOutput,
    private readonly total: number,
  ) {
    this.draw();
    // redraws throttled epoch updates and the elapsed time; unref: it never keeps the process alive
    this.timer = setInterval(() => {
      if (this.done >= this.total) return; // every fit's line is out: close() follows, with no bar to show before it
      if (this.dirty || performance.now() - this.lastDraw >= progressTiming.tickMs) this.draw();
    }, progressTiming.redrawMs || 10);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Fit `index` started (no epoch finished yet). */
  start(index: number, maxEpochs: number): void {
    this.running.set(index, { epoch: 0, maxEpochs });
    this.update();
  }

  /** Fit `index` finished `epoch` epochs. */
  epoch(index: number, epoch: number): void {
    const r = this.running.get(index);
    if (!r) return;
    r.epoch = epoch;
    this.update();
  }

  /** Fit `index` finished: the bar is cleared, `print` writes the fit's line, and the bar comes back. */
  finished(index: number, print: () => void): void {
    this.running.delete(index);
    this.done++;
    this.clear();
    print();
    if (this.done < this.total) this.draw();
  }

  /** The bar is cleared and `print` writes above it (a fit's epoch tables); the timer draws it again. */
  above(print: () => void): void {
    this.clear();
    print();
    this.dirty = true;
  }

  /** Clears the bar and stops redrawing it (the end of the search, or its abort or error). */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.clear();
  }

  private update(): void {
    if (this.closed) return;
    this.dirty = true;
    if (performance.now() - this.lastDraw >= progressTiming.redrawMs) this.draw();
  }

  private clear(): void {
    if (this.shown) this.out.write(CLEAR);
    this.shown = false;
  }

  private draw(): void {
    if (this.closed) return;
    const now = performance.now();
    const running = [...this.running.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
    const state = { done: this.done, total: this.total, running, elapsedMs: now - this.t0 };
    this.out.write(`\r${formatBar(state, this.out.columns || 80)}\x1b[K`);
    this.shown = true;
    this.dirty = false;
    this.lastDraw = now;
  }
}
