import { getTableColumns, getTableName, type Table } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { effects, orderEvents, orders } from '../db/schema.pg.js';

/**
 * The transition's statements in plain SQL, written out once from the Drizzle schema (column
 * names and types come from pg-schema.ts, so the two cannot drift) and sent as named prepared
 * statements. A transition is the hottest path of every poller and server process: building
 * it through the query builder on every call cost about as much CPU as PostgreSQL spent
 * executing it, and one data-modifying statement instead of three saves two round trips per
 * transition inside the row lock.
 */

export interface Statement {
  name: string;
  text: string;
  values: unknown[];
}

type Row = Record<string, unknown>;

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

function columnOf(table: Table, key: string): PgColumn {
  const column = (getTableColumns(table) as Record<string, PgColumn>)[key];
  if (!column) throw new Error(`${getTableName(table)} has no column ${key}`);
  return column;
}

/** A JS value as the pg driver should send it for this column. */
function encode(column: PgColumn, value: unknown): unknown {
  if (value === undefined) return null;
  return column.getSQLType() === 'jsonb' ? JSON.stringify(value) : value;
}

/** Collects parameters and hands out typed placeholders ($n::type). */
class Params {
  readonly values: unknown[] = [];
  add(column: PgColumn, value: unknown): string {
    this.values.push(encode(column, value));
    return `$${this.values.length}::${column.getSQLType()}`;
  }
}

/** Statement texts by shape (which keys, how many rows): the name of a prepared statement must always mean one text. */
const names = new Map<string, string>();
function named(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `paystate_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

export const lockOrderStatement = (orderId: string): Statement => {
  const text = `select ${quote(orders.snapshot.name)} as snapshot, ${quote(orders.version.name)} as version from ${quote(getTableName(orders))} where ${quote(orders.id.name)} = $1 for update`;
  return { name: named(text), text, values: [orderId] };
};

function insertValues(table: Table, row: Row, params: Params): { columns: string; values: string } {
  const keys = Object.keys(row).filter((key) => row[key] !== undefined);
  return {
    columns: keys.map((key) => quote(columnOf(table, key).name)).join(', '),
    values: keys.map((key) => params.add(columnOf(table, key), row[key])).join(', '),
  };
}

/** The audit row alone: an event that changed nothing. */
export function auditStatement(audit: Row): Statement {
  const params = new Params();
  const { columns, values } = insertValues(orderEvents, audit, params);
  const text = `insert into ${quote(getTableName(orderEvents))} (${columns}) values (${values})`;
  return { name: named(text), text, values: params.values };
}

/**
 * An applied event in one statement: the audit row, the order row compare-and-set on its version
 * (`updated` is 1, or 0 if the version moved), and the outbox rows, which are written only if
 * the order row was and never twice for one key.
 */
export function transitionStatement(
  orderId: string,
  expectedVersion: number,
  audit: Row,
  set: Row,
  effectRows: Row[],
): Statement {
  const params = new Params();
  const auditInsert = insertValues(orderEvents, audit, params);
  const setKeys = Object.keys(set).filter((key) => set[key] !== undefined && key !== 'id');
  const assignments = setKeys
    .map((key) => `${quote(columnOf(orders, key).name)} = ${params.add(columnOf(orders, key), set[key])}`)
    .join(', ');
  const idParam = params.add(orders.id, orderId);
  const versionParam = params.add(orders.version, expectedVersion);
  const parts = [
    `with audit as (insert into ${quote(getTableName(orderEvents))} (${auditInsert.columns}) values (${auditInsert.values}))`,
    `, updated as (update ${quote(getTableName(orders))} set ${assignments} where ${quote(orders.id.name)} = ${idParam} and ${quote(orders.version.name)} = ${versionParam} returning 1)`,
  ];
  if (effectRows.length > 0) {
    const keys = Object.keys(effectRows[0]!).filter((key) => effectRows[0]![key] !== undefined);
    const columns = keys.map((key) => quote(columnOf(effects, key).name)).join(', ');
    const rows = effectRows
      .map((row) => `(${keys.map((key) => params.add(columnOf(effects, key), row[key])).join(', ')})`)
      .join(', ');
    parts.push(
      `, outbox as (insert into ${quote(getTableName(effects))} (${columns}) select * from (values ${rows}) as v (${columns})` +
        ` where exists (select 1 from updated) on conflict (${quote(effects.key.name)}) do nothing)`,
    );
  }
  parts.push(' select count(*)::int as updated from updated');
  const text = parts.join('');
  return { name: named(text), text, values: params.values };
}
