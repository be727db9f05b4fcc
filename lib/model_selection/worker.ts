/** worker_threads entry for parallel grid search (see pool.ts). */
import { parentPort } from 'worker_threads';
import type { FloatArray } from '../train/classifier';
import { PrintLog, type Callback } from '../train/callbacks';
import { takeRows } from '../data/batch';
import { backend } from '../backend';
import { loadUserModule } from '../util/resolve';
import { receivedParams, sentError } from './pool';

interface State {
  X: FloatArray;
  y: Int32Array;
  features: number;
  params: Record<string, unknown>;
  verbose: 0 | 1;
  /** Color the epoch tables' best values (the main thread's stdout is a TTY). */
  color: boolean;
  /** Post { type: 'epoch', index, epoch } after each epoch of a task (for the search's progress bar). */
  progress: boolean;
}

let state: State | null = null;

/** The current task's epoch tables, sent in its result or error message (see the task handler). */
const log = { text: '' };
function takeLog(): string {
  const text = log.text;
  log.text = '';
  return text;
}

if (parentPort) {
  const port = parentPort;
  // The init message's modules load asynchronously (an ES module needs import()): every later message waits for
  // them, so a task never runs before the activations they register exist.
  let ready: Promise<void> = Promise.resolve();
  port.on('message', async (m: any) => {
    try {
      if (m.type === 'init') {
        ready = (async () => {
          for (const r of m.requires as string[]) await loadUserModule(r);
        })();
        await ready;
        const X = m.dtype === 'float32' ? new Float32Array(m.X) : new Float64Array(m.X);
        state = {
          X,
          y: new Int32Array(m.y),
          features: m.features,
          params: m.params,
          verbose: m.verbose,
          color: !!m.color,
          progress: !!m.progress,
        };
        return;
      }
      await ready;
      if (m.type === 'threads') {
        // other workers are done: take over their cores (handled between batches, when fit yields)
        backend().setThreads(m.n);
        return;
      }
      if (m.type === 'task') {
        if (!state) throw new Error('worker used before init');
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        const { NeuralNetClassifier } = require('../train/classifier') as typeof import('../train/classifier');
        const s = state;
        // Modules and callbacks rebuilt for this fit alone, and set as clone() sets them for a sequential fit: the
        // base parameters, then the candidate's (a candidate's undefined leaves the base value; a candidate's
        // moduleParams replaces the base's module__ keys, whichever order they were sent in).
        // The epoch tables (verbose 1's PrintLog, and a PrintLog among the callbacks) are kept for this task and go
        // to the parent inside its result message, which prints them right before the fit's END line: not to this
        // thread's process.stdout, which reaches the main thread asynchronously, after the result (a worker
        // terminated once its tasks were done lost rows and whole tables), nor row by row or as a message of their
        // own (two fits at once mixed their rows, or one's table and END line).
        const est = new NeuralNetClassifier({})
          .setParams(receivedParams(s.params))
          .setParams(receivedParams({ ...m.params, verbose: 0 }));
        const out = { write: (text: string) => void (log.text += text), isTTY: s.color };
        const own = (est.getParams().callbacks as Callback[]).map((cb) =>
          cb instanceof PrintLog && cb.constructor === PrintLog ? new PrintLog(out, cb.color) : cb,
        );
        est.setParams({ callbacks: s.verbose >= 1 ? [new PrintLog(out), ...own] : own });
        if (s.progress) {
          // a fresh estimator: its history's epoch numbers count this task's epochs
          const onEpoch: Callback = {
            onEpochEnd: (_, e) => port.postMessage({ type: 'epoch', index: m.index, epoch: e.epoch }),
          };
          est.setParams({ callbacks: [...(est.getParams().callbacks as Callback[]), onEpoch] });
        }
        const train = m.train as Int32Array;
        const test = m.test as Int32Array;
        const Xtr = takeRows(s.X, s.features, train);
        const Xte = takeRows(s.X, s.features, test);
        const ytr = Int32Array.from(train, (i) => s.y[i]);
        const yte = Int32Array.from(test, (i) => s.y[i]);
        // A 'threads' message already queued behind this task (a worker retired while this one was starting up)
        // is applied before the fit starts, not at the fit's first yield, which a short fit may never reach.
        await new Promise<void>((r) => setImmediate(r));
        const t0 = performance.now();
        await est.fit(Xtr, ytr);
        const t1 = performance.now();
        const score = est.score(Xte, yte);
        const t2 = performance.now();
        port.postMessage({
          type: 'result',
          log: takeLog(),
          index: m.index,
          testScore: score,
          fitTime: (t1 - t0) / 1000,
          scoreTime: (t2 - t1) / 1000,
          threads: backend().getThreads(),
        });
      }
    } catch (e) {
      // The name and fields (a TrainingDivergedError's epoch, batch, layer) let pool.ts rebuild the error's class,
      // and its cause's (an AnomalyError's op, phase, ...).
      // index: the task's, so that the error can name its candidate and split (undefined before any task)
      port.postMessage({ type: 'error', log: takeLog(), index: m.type === 'task' ? m.index : undefined, ...sentError(e) });
    }
  });
}
