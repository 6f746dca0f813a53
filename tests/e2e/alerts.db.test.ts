import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMailSink } from '@paystate/sandbox';
import { ADMIN_TOKEN, startStack, waitFor, type ErrorBody, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';
import { startWebhookReceiver, type ReceivedDelivery } from '../support/webhook-receiver.js';

const T = 20_000;
const MERCHANT = 'dakar-1';
const OTHER = 'dakar-2';

interface AlertBody {
  id: string;
  kind: string;
  merchant_id: string | null;
  order_id: string | null;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}

/** What a receiver does with the Standard Webhooks headers, written here from the spec, not with paystate's code. */
function verifiedByReceiver(secret: string, delivery: ReceivedDelivery): boolean {
  const id = String(delivery.headers['webhook-id']);
  const timestamp = String(delivery.headers['webhook-timestamp']);
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = Buffer.from(
    `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${delivery.body}`).digest('base64')}`,
  );
  return String(delivery.headers['webhook-signature'])
    .split(' ')
    .some((given) => given.length === expected.length && timingSafeEqual(Buffer.from(given), expected));
}

describe(`alerts as data on ${testBackend}: recorded, listed, acknowledged, sent as digests`, () => {
  let stack: Stack;
  let smtp: Awaited<ReturnType<typeof startMailSink>>;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeEach(async () => {
    smtp = await startMailSink();
    receiver = await startWebhookReceiver();
    stack = await startStack({
      env: {
        SMTP_URL: smtp.url,
        PAYSTATE_MASTER_KEY: randomBytes(32).toString('base64'),
        ALERT_DIGEST_WINDOW_S: '3',
        ALERT_RETRY_BASE_S: '0.2',
        ALERT_WEBHOOK_TIMEOUT_S: '2',
      },
    });
    await stack.createDevice('dakar-bar', { merchant_id: MERCHANT });
  });
  afterEach(async () => {
    await stack?.stop();
    await receiver?.close();
    await smtp?.close();
  });

  async function keyFor(merchantId: string, scope: string, label: string): Promise<string> {
    const issued = await stack.admin<{ key: string }>('POST', '/api-keys', { scope, label, merchant_id: merchantId });
    expect(issued.status).toBe(201);
    return issued.body.key;
  }

  /** A real flow to make_failed: the machine refuses the make command, which fails for good. */
  async function makeFailedOrder(): Promise<string> {
    stack.tmetr.mode = 'reject';
    const order = await stack.createOrder('dakar-bar');
    const { paymentId } = await stack.pay(order.order_id);
    await stack.customerPays(paymentId);
    await stack.waitForStatus(order.order_id, 'make_failed', 10_000);
    return order.order_id;
  }

  const listAlerts = (token: string, query = '') =>
    stack.request<{ alerts: AlertBody[] }>('GET', `/v1/admin/alerts${query}`, { token });

  it(
    "a make_failed alert is listed for its merchant, acknowledged with the key's label, and another merchant's key sees nothing",
    async () => {
      const [reader, owner, otherReader, otherOwner] = [
        await keyFor(MERCHANT, 'read_only', 'Dakar screen'),
        await keyFor(MERCHANT, 'merchant_admin', 'Awa (owner)'),
        await keyFor(OTHER, 'read_only', 'Other screen'),
        await keyFor(OTHER, 'merchant_admin', 'Other owner'),
      ];
      const orderId = await makeFailedOrder();
      const alert = await waitFor(
        async () =>
          (await listAlerts(reader)).body.alerts.find((a) => a.order_id === orderId && a.kind === 'make_failed'),
        10_000,
        'the make_failed alert',
      );
      expect(alert).toMatchObject({ merchant_id: MERCHANT, acknowledged_at: null, acknowledged_by: null });
      expect((await listAlerts(reader, '?status=open')).body.alerts.map((a) => a.id)).toContain(alert.id);

      // Another merchant's keys: not in their list, and every route on the alert answers 404.
      expect((await listAlerts(otherReader)).body.alerts.map((a) => a.id)).not.toContain(alert.id);
      expect((await listAlerts(otherReader, `?merchant_id=${MERCHANT}`)).status).toBe(404);
      expect((await stack.request('GET', `/v1/admin/alerts/${alert.id}`, { token: otherReader })).status).toBe(404);
      const foreignAck = await stack.request<ErrorBody>('POST', `/v1/admin/alerts/${alert.id}/acknowledge`, {
        token: otherOwner,
      });
      expect(foreignAck.status).toBe(404);
      expect(foreignAck.body.error.code).toBe('alert_not_found');
      // A read_only key reads but does not acknowledge.
      expect((await stack.request('POST', `/v1/admin/alerts/${alert.id}/acknowledge`, { token: reader })).status).toBe(
        403,
      );
      expect(
        (await stack.request<AlertBody>('GET', `/v1/admin/alerts/${alert.id}`, { token: reader })).body,
      ).toMatchObject({ acknowledged_at: null });

      const acked = await stack.request<AlertBody>('POST', `/v1/admin/alerts/${alert.id}/acknowledge`, {
        token: owner,
        body: { operator: 'someone else' },
      });
      expect(acked.status).toBe(200);
      expect(acked.body).toMatchObject({ id: alert.id, acknowledged_by: 'Awa (owner)' });
      expect(acked.body.acknowledged_at).toEqual(expect.any(String));
      // Acknowledging again keeps the first acknowledgement.
      const again = await stack.request<AlertBody>('POST', `/v1/admin/alerts/${alert.id}/acknowledge`, {
        token: ADMIN_TOKEN,
      });
      expect(again.body).toMatchObject({ acknowledged_by: 'Awa (owner)', acknowledged_at: acked.body.acknowledged_at });

      expect((await listAlerts(reader, '?status=open')).body.alerts.map((a) => a.id)).not.toContain(alert.id);
      expect((await listAlerts(reader, '?status=acknowledged&kind=make_failed')).body.alerts.map((a) => a.id)).toEqual([
        alert.id,
      ]);
      // The platform sees every merchant's, or one's.
      expect((await listAlerts(ADMIN_TOKEN)).body.alerts.map((a) => a.id)).toContain(alert.id);
      expect((await listAlerts(ADMIN_TOKEN, `?merchant_id=${OTHER}`)).body.alerts).toEqual([]);
    },
    T * 2,
  );

  it(
    'a burst of 5 alerts reaches the mailbox as one e-mail and the webhook as one signed POST',
    async () => {
      const owner = await keyFor(MERCHANT, 'merchant_admin', 'Awa (owner)');
      const channels = `/v1/merchants/${MERCHANT}/alert-channels`;
      const email = await stack.request<{ id: string; secret?: string }>('POST', channels, {
        token: owner,
        body: { kind: 'email', target: 'ops@dakar.example' },
      });
      expect(email.status).toBe(201);
      expect(email.body.secret).toBeUndefined();
      const webhook = await stack.request<{ id: string; secret: string; kind: string }>('POST', channels, {
        token: owner,
        body: { kind: 'webhook', target: receiver.url },
      });
      expect(webhook.status).toBe(201);
      expect(webhook.body.secret).toMatch(/^whsec_/);
      const secret = webhook.body.secret;
      // Shown once: never in a list or a channel read.
      const listed = await stack.request<{ alert_channels: Array<{ kind: string; target: string }> }>('GET', channels, {
        token: owner,
      });
      expect(listed.body.alert_channels.map((c) => [c.kind, c.target])).toEqual([
        ['email', 'ops@dakar.example'],
        ['webhook', receiver.url],
      ]);
      expect(listed.text).not.toContain(secret.slice('whsec_'.length));
      const read = await stack.request('GET', `${channels}/${webhook.body.id}`, { token: owner });
      expect(read.text).not.toContain(secret.slice('whsec_'.length));
      // Another merchant's key cannot see or add this merchant's channels.
      const otherOwner = await keyFor(OTHER, 'merchant_admin', 'Other owner');
      expect((await stack.request('GET', channels, { token: otherOwner })).status).toBe(404);

      const orders = await Promise.all([1, 2, 3, 4, 5].map(() => makeFailedOrder()));
      await waitFor(() => receiver.accepted().length === 1 && smtp.mails.length === 1, 10_000, 'one digest each');
      // Nothing more comes for this burst.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(receiver.received).toHaveLength(1);
      const mails = smtp.mails.filter((mail) => mail.to.includes('ops@dakar.example'));
      expect(mails).toHaveLength(1);
      expect(mails[0]!.raw).toContain('5 alerts for dakar-1');
      for (const orderId of orders) expect(mails[0]!.raw).toContain(orderId);

      const [delivery] = receiver.received;
      expect(verifiedByReceiver(secret, delivery!)).toBe(true);
      expect(verifiedByReceiver(`whsec_${randomBytes(32).toString('base64')}`, delivery!)).toBe(false);
      const body = JSON.parse(delivery!.body) as {
        type: string;
        data: { merchant_id: string; alerts: AlertBody[] };
      };
      expect(body.type).toBe('alerts.digest');
      expect(body.data.merchant_id).toBe(MERCHANT);
      expect(body.data.alerts.map((a) => a.kind)).toEqual(Array(5).fill('make_failed'));
      expect(body.data.alerts.map((a) => a.order_id).sort()).toEqual([...orders].sort());

      // A removed channel takes no new digest.
      expect((await stack.request('DELETE', `${channels}/${webhook.body.id}`, { token: owner })).status).toBe(200);
      expect((await stack.request('DELETE', `${channels}/${webhook.body.id}`, { token: otherOwner })).status).toBe(404);
    },
    T * 2,
  );

  it(
    'a receiver that answers 500 twice gets the digest on the third attempt, and only once',
    async () => {
      const owner = await keyFor(MERCHANT, 'merchant_admin', 'Awa (owner)');
      const channels = `/v1/merchants/${MERCHANT}/alert-channels`;
      const webhook = await stack.request<{ id: string; secret: string }>('POST', channels, {
        token: owner,
        body: { kind: 'webhook', target: receiver.url },
      });
      expect(webhook.status).toBe(201);
      receiver.failNext(2);
      const orderId = await makeFailedOrder();

      await waitFor(() => receiver.accepted().length === 1, 15_000, 'the digest accepted');
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(receiver.received.map((d) => d.status)).toEqual([500, 500, 204]);
      // One message, retried: the same webhook-id each time, each attempt signed afresh.
      expect(new Set(receiver.received.map((d) => d.headers['webhook-id'])).size).toBe(1);
      for (const attempt of receiver.received) expect(verifiedByReceiver(webhook.body.secret, attempt)).toBe(true);
      expect(JSON.parse(receiver.received[2]!.body).data.alerts[0].order_id).toBe(orderId);

      const channel = await stack.request<{ deliveries: Array<{ status: string; attempts: number }> }>(
        'GET',
        `${channels}/${webhook.body.id}`,
        { token: owner },
      );
      expect(channel.body.deliveries).toEqual([expect.objectContaining({ status: 'sent', attempts: 3 })]);
    },
    T * 2,
  );
});
