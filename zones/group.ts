/** Records grouped by owner and type, in file order: the shared input of validate.ts and compile.ts. */
import { RRType, type ResourceRecord } from '../model/zone.js';

export interface RecordGroup {
  readonly name: string;
  readonly display: string;
  /** Type → records in file order; the map's order is the order types first appeared at this name. */
  readonly types: Map<number, ResourceRecord[]>;
}

/** Owner (lowercase) → group, in order of first appearance. */
export type RecordGroups = Map<string, RecordGroup>;

export function groupRecords(records: readonly ResourceRecord[]): RecordGroups {
  const groups: RecordGroups = new Map();
  let last: RecordGroup | undefined;
  for (const rr of records) {
    let group = last !== undefined && last.name === rr.name ? last : groups.get(rr.name);
    if (!group) {
      group = { name: rr.name, display: rr.display, types: new Map() };
      groups.set(rr.name, group);
    }
    last = group;
    const list = group.types.get(rr.type);
    if (list) list.push(rr);
    else group.types.set(rr.type, [rr]);
  }
  return groups;
}

/**
 * A name's A (or AAAA) records are load-balanced when there are several of them, or when a
 * `;@pool` names the owner (DESIGN.md "Zone files").
 */
export function isPooled(type: number, records: readonly ResourceRecord[], annotated: boolean): boolean {
  return (type === RRType.A || type === RRType.AAAA) && (records.length >= 2 || (annotated && records.length >= 1));
}
