/**
 * Queries answered, by zone, question type and RCODE, for `rondo_dns_queries_total`. Each
 * combination is one mutable cell made once; the fast path keeps the cell of each name it has
 * learnt, so counting is one integer increment. Label cardinality is bounded: types other than
 * the common ones count as `other`, and past MAX_CELLS new combinations fold into one cell.
 */
import { RRType } from '../model/zone.js';

export interface QueryCell {
  readonly zone: string;
  readonly qtype: string;
  readonly rcode: string;
  count: number;
}

/** Zone label for queries that reached no zone of ours (REFUSED, FORMERR, ...). */
export const NO_ZONE = '-';

const MAX_CELLS = 10_000;
const TYPE_LABELS = new Map<number, string>(Object.entries(RRType).map(([name, code]) => [code, name]));

export function qtypeLabel(qtype: number | undefined): string {
  if (qtype === undefined) return '-';
  return TYPE_LABELS.get(qtype) ?? 'other';
}

export class QueryCounters {
  private readonly cells = new Map<string, QueryCell>();
  private readonly overflow: QueryCell = { zone: 'other', qtype: 'other', rcode: 'other', count: 0 };

  /** The cell for this combination (made on first use). */
  cell(zone: string, qtype: number | undefined, rcode: string): QueryCell {
    const type = qtypeLabel(qtype);
    const key = `${zone}\u0000${type}\u0000${rcode}`;
    let cell = this.cells.get(key);
    if (cell === undefined) {
      if (this.cells.size >= MAX_CELLS) return this.overflow;
      cell = { zone, qtype: type, rcode, count: 0 };
      this.cells.set(key, cell);
    }
    return cell;
  }

  add(zone: string, qtype: number | undefined, rcode: string): void {
    this.cell(zone, qtype, rcode).count++;
  }

  /** Every non-zero cell, for a metrics scrape. */
  *entries(): Iterable<QueryCell> {
    for (const cell of this.cells.values()) if (cell.count > 0) yield cell;
    if (this.overflow.count > 0) yield this.overflow;
  }
}
