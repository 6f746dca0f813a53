import { request } from 'undici';
import { CliError } from '../output.js';

export const ADMIN_TOKEN = 'demo-admin-token-0123456789';
export const DEVICE_TOKEN = 'demo-device-token';

export type Api = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;
export type Say = (line: string) => void;

/** The demo talks to paystate over HTTP, as a kiosk, a till and an operator would. */
export function apiClient(baseUrl: string): Api {
  return async (method, path, body) => {
    const response = await request(`${baseUrl}${path}`, {
      method: method as 'GET',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    const json = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
    if (response.statusCode >= 400) throw new CliError(`${method} ${path} -> ${response.statusCode} ${text}`);
    return json;
  };
}

/** What a customer does on the provider's page: press Pay (the sandboxes' `<page>/pay` form). */
export async function customerPays(confirmationUrl: string): Promise<void> {
  const response = await request(new URL('pay', `${confirmationUrl}/`).toString(), { method: 'POST' });
  await response.body.dump();
}

/** Prints each status change as the customer's page would see it, until a terminal status. */
export function watchStatus(api: Api, orderId: string, say: Say) {
  const started = Date.now();
  let last = '';
  let final: string | null = null;
  const tick = async () => {
    const view = await api('GET', `/v1/order-status/${orderId}`);
    const status = String(view.status);
    if (status !== last) {
      last = status;
      const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
      say(`  +${seconds}s  ${status.padEnd(14)} ${String(view.status_description_en)}`);
    }
    if (view.terminal === true) final = status;
  };
  return {
    tick,
    async until(timeoutMs: number): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (final === null) {
        if (Date.now() > deadline) throw new CliError(`order ${orderId} is still ${last} after ${timeoutMs / 1000} s`);
        await tick();
        if (final === null) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return final;
    },
  };
}
