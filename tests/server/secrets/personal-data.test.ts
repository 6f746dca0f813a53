import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JsonClient } from '@paystate/server';
import { maskEmail, maskPersonalData, maskPhone } from '../../../packages/server/src/secrets/personal-data.js';

describe('personal data in logs', () => {
  it('phone numbers and e-mail addresses keep only enough to tell two apart', () => {
    expect(maskPhone('22507123456')).toBe('*******3456');
    expect(maskEmail('ada.lovelace@example.org')).toBe('a***@example.org');
    expect(
      maskPersonalData({
        payer: { partyIdType: 'MSISDN', partyId: '22507123456' },
        payer_msisdn: '221771234567',
        customer_email: 'ada@example.org',
        amount: '5000',
        externalId: 'order-1',
      }),
    ).toEqual({
      payer: { partyIdType: '****', partyId: '*******3456' },
      payer_msisdn: '********4567',
      customer_email: 'a***@example.org',
      amount: '5000',
      externalId: 'order-1',
    });
  });

  it("an outbound call's info log never holds the payer's phone number (MTN MoMo's request body)", async () => {
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const lines: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
      const { port } = server.address() as AddressInfo;
      const client = new JsonClient({ service: 'momo', baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2000, logger });
      await client.call(
        {
          method: 'POST',
          path: '/collection/v1_0/requesttopay',
          body: { amount: '5000', currency: 'XOF', payer: { partyIdType: 'MSISDN', partyId: '22507123456' } },
        },
        z.object({ ok: z.literal(true) }),
      );
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join('')).not.toContain('22507123456');
      expect(lines.join('')).toContain('*******3456');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
