import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CustomerNotice, OrderContext } from '@paystate/core';
import { customerNotice, mailField } from '../../../packages/server/src/notifications/mailer.js';

const order = (fields: Partial<OrderContext> = {}) =>
  ({
    orderId: '6f1c2a9e-0000-4000-8000-000000000001',
    productName: 'Latte',
    size: 'M',
    price: { amountMinor: 15000, currency: 'RUB' },
    customerEmail: 'buyer@example.org',
    ...fields,
  }) as OrderContext;

const notices: CustomerNotice[] = [
  'successful',
  'not_paid',
  'failed',
  'expired',
  'make_failed',
  'refunded',
  'manual_make',
];

describe('customer e-mails (no open relay)', () => {
  it('go out only about money the customer paid: a refund or a late payment', () => {
    const mailed = notices.filter((kind) => customerNotice(kind, order(), 'https://pay.example/orders/1') !== null);
    expect(mailed).toEqual(['refunded', 'manual_make']);
  });

  it('carry every order field as one bounded line: no header injection, no page of phishing text', () => {
    const hostile = `Your account is locked\r\nBcc: everyone@example.org\n${'click https://phish.example '.repeat(20)}`;
    const mail = customerNotice('refunded', order({ productName: hostile, size: 'L\r\nX-Evil: 1' }), 'https://x')!;
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject.length).toBeLessThanOrEqual(90);
    expect(mail.text).not.toContain('Bcc:\n');
    expect(mail.text.split('\n')).toHaveLength(3);
    expect(mail.text).not.toContain('X-Evil: 1\n');
  });

  it('mailField: never a control character, never longer than asked', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 2, max: 200 }), (text, max) => {
        const field = mailField(text, max);
        expect(field.length).toBeLessThanOrEqual(max);
        expect(field).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
      }),
    );
  });
});
