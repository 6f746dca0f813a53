import type { Command } from 'commander';
import { createOrderMachine, defaultLifecycleConfig, toMermaid } from '@paystate/core';

export function diagramCommand(program: Command): void {
  program.command('diagram').action(() => {
    process.stdout.write(`${toMermaid(createOrderMachine(defaultLifecycleConfig))}\n`);
  });
}
