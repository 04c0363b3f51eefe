import type { Command } from 'commander';
import { BUILT_IN_BACKBONES } from '../../engine/backbones/backbone.js';
import { describeBackend } from '../../engine/backend/selectBackend.js';
import { addCommonOptions, runCommand, type CommonOptions } from '../context.js';

export function registerInfo(program: Command): void {
  addCommonOptions(program.command('info').description('the compute backend in use and the built-in backbones')).action(async (opts: CommonOptions) => {
    await runCommand(opts, async (ctx) => ({
      json: { backend: ctx.backend, backbones: BUILT_IN_BACKBONES },
      text: [`Compute backend: ${describeBackend(ctx.backend)}`, '', 'Built-in backbones:', ...BUILT_IN_BACKBONES.map((b) => `  ${b.name.padEnd(24)} ${b.description}`)].join('\n'),
    }));
  });
}
