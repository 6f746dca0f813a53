import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSettings, settingsSchema } from '@paystate/server';

const ENV_EXAMPLE = fileURLToPath(new URL('../../.env.example', import.meta.url));

/** A setting's line, commented out or not: `# NAME=value` or `NAME=value`. */
const SETTING = /^(?:#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/;

interface Entry {
  name: string;
  value: string;
  comment: string | undefined;
}

function entries(): Entry[] {
  const lines = readFileSync(ENV_EXAMPLE, 'utf8').split('\n');
  const found: Entry[] = [];
  lines.forEach((line, i) => {
    const match = SETTING.exec(line);
    if (!match) return;
    const previous = lines[i - 1];
    found.push({
      name: match[1]!,
      value: match[2]!.replace(/^"(.*)"$/, '$1'),
      comment: previous?.startsWith('# ') && !SETTING.test(previous) ? previous.slice(2) : undefined,
    });
  });
  return found;
}

/** What the schema gives a setting nobody set, as an env file writes it ('' for unset). */
function defaultOf(name: string): string {
  const value = (settingsSchema.shape as Record<string, { parse(input: unknown): unknown }>)[name]!.parse(undefined);
  return value === undefined ? '' : String(value);
}

describe('.env.example lists every setting of the schema, with its default and a comment', () => {
  it('has each setting of the settings schema once, and nothing else', () => {
    const names = entries().map((entry) => entry.name);
    expect(new Set(names).size, 'a setting listed twice').toBe(names.length);
    expect([...names].sort()).toEqual(Object.keys(settingsSchema.shape).sort());
  });

  it('shows the default the schema applies, or nothing for a setting unset by default', () => {
    for (const { name, value } of entries()) expect(value, name).toBe(defaultOf(name));
  });

  it('explains each setting on the line above it', () => {
    for (const { name, comment } of entries()) expect(comment?.trim().length ?? 0, name).toBeGreaterThan(10);
  });

  it('changes nothing when every line is uncommented: the values shown are the defaults', () => {
    const env = Object.fromEntries(
      entries()
        .filter((entry) => entry.value !== '')
        .map((entry) => [entry.name, entry.value]),
    );
    expect(loadSettings(env)).toEqual(loadSettings({}));
  });
});
