import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  currentFailureReason,
  describeOrder,
  failureDescriptions,
  failureReasonSchema,
  orderStatuses,
  statusDescriptions,
  ticketStatusDescriptions,
} from '@paystate/core';

const statusArb = fc.constantFrom(...orderStatuses);
const reasonArb = fc.option(fc.constantFrom(...failureReasonSchema.options), { nil: null });
const vocabularyArb = fc.constantFrom('drinks' as const, 'tickets' as const);
const failureTexts = new Set(Object.values(failureDescriptions).flatMap((text) => [text.ru, text.en]));

describe('what the customer reads follows the current status only', () => {
  it('a failure reason speaks only while the order is in the status it was recorded for', () => {
    fc.assert(
      fc.property(statusArb, reasonArb, vocabularyArb, (status, reason, vocabulary) => {
        const text = describeOrder(status, reason, vocabulary);
        if (currentFailureReason(status, reason) === null)
          expect(text).toEqual(describeOrder(status, null, vocabulary));
        // A refund, a "mark made" or late money never keeps the old failure's words.
        if (!['failed', 'make_failed'].includes(status)) {
          const general =
            vocabulary === 'tickets'
              ? (ticketStatusDescriptions[status] ?? statusDescriptions[status])
              : statusDescriptions[status];
          expect(text).toEqual(general);
          if (!failureTexts.has(general.ru)) expect(failureTexts.has(text.ru)).toBe(false);
        }
      }),
    );
  });

  it('both languages always come from the same entry', () => {
    const entries = [
      ...Object.values(statusDescriptions),
      ...Object.values(ticketStatusDescriptions),
      ...Object.values(failureDescriptions),
    ];
    fc.assert(
      fc.property(statusArb, reasonArb, vocabularyArb, (status, reason, vocabulary) => {
        const text = describeOrder(status, reason, vocabulary);
        expect(entries.some((entry) => entry.ru === text.ru && entry.en === text.en)).toBe(true);
      }),
    );
  });

  it('a ticket sale never reads about a machine', () => {
    fc.assert(
      fc.property(statusArb, reasonArb, (status, reason) => {
        const text = describeOrder(status, reason, 'tickets');
        expect(text.en).not.toMatch(/machine/i);
        expect(text.ru).not.toMatch(/автомат(?!ическ)/i); // "автоматически" is "automatically"
      }),
    );
  });
});
