import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { orderStatuses, statusDescriptions } from '@paystate/core';

const coreSource = fileURLToPath(new URL('../../packages/core/src', import.meta.url));
const allowedPackages = new Set(['xstate', 'zod']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('packages/core stays pure', () => {
  it('imports nothing but its own modules, xstate and zod', () => {
    const offenders = sourceFiles(coreSource).flatMap((file) => {
      const specifiers = [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map(
        (m) => m[1]!,
      );
      return specifiers.filter((s) => !s.startsWith('.') && !allowedPackages.has(s)).map((s) => `${file}: ${s}`);
    });
    expect(offenders).toEqual([]);
  });

  it('uses no ambient I/O or timers', () => {
    const offenders = sourceFiles(coreSource).filter((file) =>
      /\b(fetch|process\.|setTimeout|setInterval|require)\s*[.(]/.test(readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('has Russian and English text for every status', () => {
    for (const status of orderStatuses) {
      expect(statusDescriptions[status].ru).toMatch(/[А-Яа-яЁё]/);
      expect(statusDescriptions[status].en).toMatch(/[A-Za-z]/);
    }
    expect(statusDescriptions.make_failed.ru).toBe(
      'Не удалось отправить команду на приготовление. Пожалуйста, обратитесь в поддержку.',
    );
  });
});
