import { Command } from 'commander';
import { EXIT } from './exitCodes.js';
import { registerTrain } from './commands/train.js';
import { registerFinetune } from './commands/finetune.js';
import { registerExtract } from './commands/extract.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerClassify } from './commands/classify.js';
import { registerRuns } from './commands/runs.js';
import { registerDemo } from './commands/demo.js';
import { registerInfo } from './commands/info.js';
import { registerReport } from './commands/report.js';
import { registerVisualize } from './commands/visualize.js';

/** `fttl` — the headless command line over the same engine the VS Code extension runs. */
export function buildProgram(): Command {
  const program = new Command('fttl')
    .description('Transfer learning and fine-tuning of ImageNet CNNs on your own images (FTTL).')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride((err) => {
      // Commander's own usage errors (unknown option, missing argument) are exit code 2; help/version exit 0.
      process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
    })
    .addHelpText(
      'after',
      `\nExit codes: ${EXIT.ok} ok, ${EXIT.internal} internal error, ${EXIT.usage} usage error, ${EXIT.badInput} bad input (data, CSV, image), ` +
        `${EXIT.weights} weights missing or mismatched, ${EXIT.network} download failed, ${EXIT.cancelled} cancelled.`,
    );
  registerDemo(program);
  registerTrain(program);
  registerFinetune(program);
  registerExtract(program);
  registerEvaluate(program);
  registerClassify(program);
  registerRuns(program);
  registerInfo(program);
  registerReport(program);
  registerVisualize(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
