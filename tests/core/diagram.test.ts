import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultLifecycleConfig, orderMachineFor, orderStatuses, toMermaid } from '@paystate/core';
import { withDiagram } from '../../scripts/diagram.js';

describe('the lifecycle diagram', () => {
  it('names every state and is what docs/lifecycle.md shows (run `npm run diagram` after changing the machine)', () => {
    const mermaid = toMermaid(orderMachineFor(defaultLifecycleConfig));
    for (const status of orderStatuses) expect(mermaid).toContain(` ${status}`);
    const page = readFileSync(new URL('../../docs/lifecycle.md', import.meta.url), 'utf8');
    expect(withDiagram(page)).toBe(page);
  });
});
