import type { Column } from 'drizzle-orm';

/**
 * Some columns of a table, whichever dialect's: the SQLite and PostgreSQL schemas name their
 * columns alike, so a condition written against `Columns<'id' | 'status'>` serves both twins.
 */
export type Columns<K extends string> = Record<K, Column>;
