import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signWebhook, verifyWebhook, webhookHeaders } from '@paystate/server';

// The Standard Webhooks reference vector (the same in its reference libraries' tests).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';
const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

describe('alert webhooks are signed per Standard Webhooks', () => {
  it('reproduces the published test vector', () => {
    expect(signWebhook(SECRET, ID, TIMESTAMP, BODY)).toBe(SIGNATURE);
    expect(webhookHeaders(SECRET, ID, TIMESTAMP, BODY)).toEqual({
      'webhook-id': ID,
      'webhook-timestamp': String(TIMESTAMP),
      'webhook-signature': SIGNATURE,
    });
  });

  it('verifies among several signatures, within the tolerance, and refuses a changed body, id or old timestamp', () => {
    const headers = { id: ID, timestamp: String(TIMESTAMP), signature: `v1,bm9wZQ== ${SIGNATURE}` };
    expect(verifyWebhook(SECRET, headers, BODY, TIMESTAMP + 10)).toBe(true);
    expect(verifyWebhook(SECRET, headers, '{"test": 2432232315}', TIMESTAMP)).toBe(false);
    expect(verifyWebhook(SECRET, { ...headers, id: 'msg_other' }, BODY, TIMESTAMP)).toBe(false);
    expect(verifyWebhook(SECRET, headers, BODY, TIMESTAMP + 301)).toBe(false);
  });

  it('new secrets are whsec_ and 32 random bytes; the key is the bytes, not the text', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64');
    expect(bytes).toHaveLength(32);
    const mac = createHmac('sha256', bytes).update(`msg_1.1700000000.{}`).digest('base64');
    expect(signWebhook(secret, 'msg_1', 1700000000, '{}')).toBe(`v1,${mac}`);
    expect(newWebhookSecret()).not.toBe(secret);
  });
});
