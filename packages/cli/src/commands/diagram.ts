import type { Command } from 'commander';
import { createOrderMachine, defaultLifecycleConfig, toMermaid } from '@paystate/core';

export function diagramCommand(program: Command): void {
  program
    .command('diagram')
    .description('print the order lifecycle as a Mermaid state diagram, generated from the machine')
    .action(() => {
      process.stdout.write(`${toMermaid(createOrderMachine(defaultLifecycleConfig))}\n`);
    });
}
