import { getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig } from 'drizzle-orm/sqlite-core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { pgSchema, sqliteSchema } from '@paystate/server/testing';

const tables = [
  'devices',
  'orders',
  'orderEvents',
  'effects',
  'webhookInbox',
  'paymentMethods',
  'payments',
  'paymentRefunds',
  'cashDrawerSessions',
  'cashDrawerMovements',
  'idempotencyKeys',
  'merchants',
  'apiKeys',
  'providerAccounts',
  'consoleUsers',
  'consoleSessions',
  'alerts',
  'alertChannels',
  'alertDeliveries',
] as const;

/** What must agree between the dialects: columns (name, nullability, default or not, primary key) and indexes. */
function shapeOf(config: ReturnType<typeof pgTableConfig> | ReturnType<typeof sqliteTableConfig>) {
  return {
    name: config.name,
    columns: config.columns
      .map((c) => ({ name: c.name, notNull: c.notNull, primary: c.primary, hasDefault: c.hasDefault }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    indexes: config.indexes
      .map((i) => ({
        name: i.config.name,
        unique: i.config.unique,
        columns: i.config.columns.map((c) => ('name' in c ? c.name : String(c))),
      }))
      .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')),
    foreignKeys: config.foreignKeys.map((fk) => fk.reference().columns.map((c) => c.name)).sort(),
  };
}

describe('the PostgreSQL schema is the SQLite schema', () => {
  it.each(tables)('%s: the same columns, keys and indexes', (table) => {
    expect(shapeOf(pgTableConfig(pgSchema[table]))).toEqual(shapeOf(sqliteTableConfig(sqliteSchema[table])));
  });

  it('infers the same row types, so orders/rows.ts maps rows of both', () => {
    expectTypeOf<typeof pgSchema.devices.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.devices.$inferSelect>();
    expectTypeOf<typeof pgSchema.orders.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.orders.$inferSelect>();
    expectTypeOf<typeof pgSchema.orderEvents.$inferSelect>().toEqualTypeOf<
      typeof sqliteSchema.orderEvents.$inferSelect
    >();
    expectTypeOf<typeof pgSchema.effects.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.effects.$inferSelect>();
    expectTypeOf<typeof pgSchema.webhookInbox.$inferSelect>().toEqualTypeOf<
      typeof sqliteSchema.webhookInbox.$inferSelect
    >();
    expectTypeOf<typeof pgSchema.orders.$inferInsert>().toEqualTypeOf<typeof sqliteSchema.orders.$inferInsert>();
    expectTypeOf<typeof pgSchema.orderEvents.$inferInsert>().toEqualTypeOf<
      typeof sqliteSchema.orderEvents.$inferInsert
    >();
    expectTypeOf<typeof pgSchema.effects.$inferInsert>().toEqualTypeOf<typeof sqliteSchema.effects.$inferInsert>();
  });

  it('infers the same POS row types, so pos/rows.ts maps rows of both', () => {
    expectTypeOf<typeof pgSchema.paymentMethods.$inferSelect>().toEqualTypeOf<
      typeof sqliteSchema.paymentMethods.$inferSelect
    >();
    expectTypeOf<typeof pgSchema.payments.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.payments.$inferSelect>();
    expectTypeOf<typeof pgSchema.paymentRefunds.$inferSelect>().toEqualTypeOf<
      typeof sqliteSchema.paymentRefunds.$inferSelect
    >();
    expectTypeOf<typeof pgSchema.cashDrawerSessions.$inferSelect>().toEqualTypeOf<
      typeof sqliteSchema.cashDrawerSessions.$inferSelect
    >();
    expectTypeOf<typeof pgSchema.cashDrawerMovements.$inferSelect>().toEqualTypeOf<
      typeof sqliteSchema.cashDrawerMovements.$inferSelect
    >();
    expectTypeOf<typeof pgSchema.idempotencyKeys.$inferSelect>().toEqualTypeOf<
      typeof sqliteSchema.idempotencyKeys.$inferSelect
    >();
    expectTypeOf<typeof pgSchema.payments.$inferInsert>().toEqualTypeOf<typeof sqliteSchema.payments.$inferInsert>();
    expectTypeOf<typeof pgSchema.paymentRefunds.$inferInsert>().toEqualTypeOf<
      typeof sqliteSchema.paymentRefunds.$inferInsert
    >();
    expectTypeOf<typeof pgSchema.cashDrawerSessions.$inferInsert>().toEqualTypeOf<
      typeof sqliteSchema.cashDrawerSessions.$inferInsert
    >();
    expectTypeOf<typeof pgSchema.idempotencyKeys.$inferInsert>().toEqualTypeOf<
      typeof sqliteSchema.idempotencyKeys.$inferInsert
    >();
  });
});
