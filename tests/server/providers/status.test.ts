import { describe, expect, it } from 'vitest';
import { mapStatus, UnknownProviderStatusError } from '../../../packages/server/src/providers/errors.js';
import { yookassaStatusMap } from '../../../packages/server/src/providers/yookassa.js';

describe('mapStatus: a provider status through its adapter table', () => {
  it('maps a known status', () => {
    expect(mapStatus(yookassaStatusMap, 'succeeded', 'yookassa status')).toBe('succeeded');
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'PAID', ''])(
    'refuses "%s": only the table\'s own keys count',
    (status) => {
      expect(() => mapStatus(yookassaStatusMap, status, `yookassa status "${status}"`)).toThrow(
        UnknownProviderStatusError,
      );
    },
  );
});
