import type { AnyStateMachine } from 'xstate';

/**
 * Renders a flat machine as a Mermaid state diagram, straight from its definition, so the
 * picture in docs/lifecycle.md cannot drift from the code. Guards appear in brackets after the event.
 */
export function toMermaid(machine: AnyStateMachine): string {
  const lines = ['stateDiagram-v2', `  [*] --> ${String(machine.config.initial)}`];
  const terminal: string[] = [];
  for (const node of Object.values(machine.root.states)) {
    if (node.tags.includes('terminal')) terminal.push(node.key);
    for (const [eventType, definitions] of node.transitions) {
      for (const definition of definitions) {
        const targets = definition.target?.map((target) => target.key) ?? [node.key];
        const guard = guardName(definition.guard);
        for (const target of targets) {
          lines.push(`  ${node.key} --> ${target}: ${eventType}${guard ? ` [${guard}]` : ''}`);
        }
      }
    }
  }
  if (terminal.length > 0) {
    lines.push('  classDef terminal fill:#eee,stroke:#555', `  class ${terminal.join(',')} terminal`);
  }
  return lines.join('\n');
}

function guardName(guard: unknown): string | undefined {
  if (typeof guard === 'string') return guard;
  if (guard && typeof guard === 'object' && 'type' in guard) return String(guard.type);
  return undefined;
}
