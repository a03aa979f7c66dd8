import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDb } from '../../db';
import { createGatewayApp } from '../../gateway/app';
import type { GatewayDatabase, GatewayDb } from '../../gateway/schema';
import { webhookDelivery } from '../../gateway/webhooks';
import { silentLogger } from './harness';

export const GATEWAY_KEY = 'sk_test_troupe_sandbox';

export interface Fault {
  operation?: 'authorize' | 'capture' | 'void' | 'refund' | 'any';
  phase?: 'before' | 'after';
  status?: number;
  delayMs?: number;
  times?: number;
}

/** The sandbox payment gateway, in this process, over real HTTP and the test MySQL database. */
export class SandboxGateway {
  url = '';
  private server?: Server;
  readonly db: GatewayDb = createDb<GatewayDatabase>(process.env.TEST_MYSQL_URL ?? '');

  async start(): Promise<this> {
    // Events are recorded but not sent: webhook tests run the gateway as its own process, on a
    // database of its own (test/support/gateway-process.ts).
    const webhooks = webhookDelivery(
      this.db,
      { urls: [], secrets: ['unused-in-process-secret'], mode: 'normal' },
      silentLogger,
    );
    const app = createGatewayApp({
      db: this.db,
      apiKey: GATEWAY_KEY,
      logger: silentLogger,
      webhooks,
      pendingSeconds: 600,
    });
    this.server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async inject(fault: Fault): Promise<void> {
    const response = await fetch(`${this.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${GATEWAY_KEY}` },
      body: JSON.stringify(fault),
    });
    if (response.status !== 201) throw new Error(`fault refused: ${await response.text()}`);
  }

  /** The ledger entries of the authorizations made for a reference (a booking id or payment reference). */
  async ledger(reference: string): Promise<{ kind: string; amount: number }[]> {
    return this.db
      .selectFrom('gateway_ledger')
      .innerJoin('gateway_authorizations', 'gateway_authorizations.id', 'gateway_ledger.authorization_id')
      .select(['gateway_ledger.kind', 'gateway_ledger.amount'])
      .where('gateway_authorizations.reference', '=', reference)
      .orderBy('gateway_ledger.id')
      .execute();
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
    await this.db.destroy();
  }
}
