/**
 * A compiled `;@map NAME RULE...` (issue 12): client networks, countries and continents, each
 * mapped to an ordered list of sites. Types only; zones/ builds them, balance/ and dns/ read them.
 */
import type { SourcePosition } from '../lib/errors.js';

export type SiteRuleKind = 'net' | 'country' | 'continent' | 'default';

/** One rule: what it matches and the sites it sends those clients to, first choice first. */
export interface SiteRule {
  readonly kind: SiteRuleKind;
  /** Site names in order of preference (`eu>us` is ['eu', 'us']); never empty, no repeats. */
  readonly sites: readonly string[];
  /** Where the rule is written. */
  readonly source: SourcePosition;
}

/** One `net:` prefix, host bits zero. */
export interface SiteNet {
  readonly family: 4 | 6;
  /** 4 or 16 octets. */
  readonly bytes: Uint8Array;
  readonly prefixLength: number;
  /** Index into SiteMap.rules. */
  readonly rule: number;
  /** As written, canonical (`198.51.100.0/24`). */
  readonly text: string;
}

export interface SiteMap {
  readonly name: string;
  readonly rules: readonly SiteRule[];
  readonly nets: readonly SiteNet[];
  /** ISO 3166 alpha-2 code (upper case) → rule index. */
  readonly countries: ReadonlyMap<string, number>;
  /** Continent code (AF AN AS EU NA OC SA) → rule index. */
  readonly continents: ReadonlyMap<string, number>;
  /** The `default=` rule's index. */
  readonly defaultRule: number;
  /** True when country or continent rules need a GeoIP database (`rondo serve --geoip`). */
  readonly usesGeo: boolean;
  /** Every site any rule names, in order of first mention. */
  readonly sites: readonly string[];
  /** The first `;@map NAME` line. */
  readonly source: SourcePosition;
}

/** What a GeoIP database says about one address. */
export interface GeoAnswer {
  /** ISO 3166 alpha-2, upper case; undefined when the database has no country for it. */
  readonly country: string | undefined;
  /** AF AN AS EU NA OC SA; undefined when unknown. */
  readonly continent: string | undefined;
  /** The database network the answer holds for (its prefix length, IPv4 addresses counted in 32 bits). */
  readonly prefixLength: number;
}

/** A loaded GeoIP database (MaxMind format). lookup() must not throw for a valid address. */
export interface GeoLookup {
  lookup(address: string, family: 4 | 6): GeoAnswer;
  /** For logs and status: file and build date. */
  readonly description: string;
}
