import type { Logger } from 'pino';
import { z } from 'zod';
import type { DeviceGateway, MakeCommand } from '@paystate/core';
import { JsonClient } from '../outbound/client.js';

export interface TmetrOptions {
  apiUrl: string;
  token: string;
  timeoutMs: number;
  logger: Logger;
}

/**
 * Tmetr telemetry sends the "make" command to the machine. One POST per command; any 2xx means
 * the device accepted it, and the order id lets the device drop a repeat of the same command.
 */
export class TmetrGateway implements DeviceGateway {
  private readonly client: JsonClient;

  constructor(options: TmetrOptions) {
    this.client = new JsonClient({
      service: 'tmetr',
      baseUrl: options.apiUrl,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      authorization: `Bearer ${options.token}`,
    });
  }

  async sendMakeCommand(command: MakeCommand): Promise<void> {
    await this.client.call(
      {
        method: 'POST',
        path: '/v1/make',
        body: {
          device_id: command.deviceId,
          order_id: command.orderId,
          drink_id: command.productId,
          size: command.size,
          price_minor: command.price.amountMinor,
          currency: command.price.currency,
        },
      },
      z.unknown(),
    );
  }
}
