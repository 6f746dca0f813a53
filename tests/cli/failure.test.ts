import { describe, expect, it } from 'vitest';
import { PaystateError, errorKinds } from '@paystate/server';
import { failureOf } from '../../packages/cli/src/failure.js';

describe('the CLI maps a failure to a message and an exit code in one place', () => {
  it('tells "try again later" (69, 75) from "fix the request" (1) by the error kind', () => {
    const exit = (kind: (typeof errorKinds)[number]) => failureOf(new PaystateError(kind, 'x', 'm')).exitCode;
    expect(errorKinds.filter((kind) => exit(kind) === 1)).toEqual([
      'invalid',
      'unsupported_media_type',
      'unauthorized',
      'forbidden',
      'not_found',
      'conflict',
      'rejected',
    ]);
    expect(exit('upstream_refused')).toBe(69);
    expect(exit('upstream_timeout')).toBe(75);
    expect(exit('unavailable')).toBe(75);
  });

  it('prints the message of an expected failure as is, and names the type of an unexpected one', () => {
    expect(failureOf(new PaystateError('rejected', 'refund_exceeds_refundable', 'only 5.00 left')).message).toBe(
      'only 5.00 left',
    );
    expect(failureOf(new RangeError('boom')).message).toBe('RangeError: boom');
  });
});
