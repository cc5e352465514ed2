/**
 * `rondo serve --geoip FILE.mmdb` (issue 12): a MaxMind-format database (GeoIP2/GeoLite2 Country
 * or City, DB-IP, or the CC0 ip-location-db country files) read with the `maxmind` package, for
 * the country and continent rules of `;@map`. The file is read once at start (a few MB; lookups
 * never touch the disk). A database that has countries but no continents (the ip-location-db
 * files carry only `country_code`) gets the continent from the country (the table below, the
 * same grouping as GeoNames' and MaxMind's continent codes).
 */
import { readFile } from 'node:fs/promises';
import type { Reader, Response } from 'maxmind';
import { ConfigError } from '../lib/errors.js';
import type { GeoAnswer, GeoLookup } from '../model/site-map.js';

const CONTINENT_COUNTRIES: Record<string, string> = {
  AF: 'AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW',
  AN: 'AQ BV GS HM TF',
  AS: 'AE AF AM AZ BD BH BN BT CC CN CX GE HK ID IL IN IO IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE',
  EU: 'AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK',
  NA: 'AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS MX NI PA PM PR SV SX TC TT US VC VG VI',
  OC: 'AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS',
  SA: 'AR BO BR CL CO EC FK GF GY PE PY SR UY VE',
};

const CONTINENT_OF = new Map<string, string>();
for (const [continent, list] of Object.entries(CONTINENT_COUNTRIES)) for (const cc of list.split(' ')) CONTINENT_OF.set(cc, continent);

/** The continent of an ISO 3166 alpha-2 country code (upper case), if known. */
export function continentOf(country: string): string | undefined {
  return CONTINENT_OF.get(country);
}

/** The record shapes the common databases use. */
interface GeoRecord {
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  continent?: { code?: string };
  country_code?: string;
  continent_code?: string;
}

const EMPTY: GeoAnswer = { country: undefined, continent: undefined, prefixLength: 0 };

export class MaxMindGeo implements GeoLookup {
  readonly description: string;

  constructor(
    private readonly reader: Reader<Response>,
    file: string,
  ) {
    const m = reader.metadata;
    this.description = `${file} (${m.databaseType}, built ${m.buildEpoch.toISOString().slice(0, 10)})`;
  }

  lookup(address: string, family: 4 | 6): GeoAnswer {
    let found: [GeoRecord | null, number];
    try {
      found = this.reader.getWithPrefixLength(address) as [GeoRecord | null, number];
    } catch {
      return EMPTY;
    }
    const [record, prefixLength] = found;
    // An IPv4 address in an IPv4-only database, or an IPv6 one: the prefix is in the address's own bits.
    const bits = family === 4 ? Math.min(prefixLength, 32) : prefixLength;
    if (!record) return { country: undefined, continent: undefined, prefixLength: bits };
    const country = (record.country?.iso_code ?? record.country_code ?? record.registered_country?.iso_code)?.toUpperCase();
    const continent = (record.continent?.code ?? record.continent_code)?.toUpperCase() ?? (country === undefined ? undefined : continentOf(country));
    return { country, continent, prefixLength: bits };
  }
}

/** Reads a MaxMind-format database; CONFIG_GEOIP_UNREADABLE when it cannot be read or is not one. */
export async function loadGeoIp(file: string): Promise<MaxMindGeo> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    throw new ConfigError('CONFIG_GEOIP_UNREADABLE', `--geoip ${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  // Imported here: only `--geoip` needs the package.
  const { Reader } = await import('maxmind');
  try {
    return new MaxMindGeo(new Reader<Response>(data), file);
  } catch (err) {
    throw new ConfigError('CONFIG_GEOIP_UNREADABLE', `--geoip ${file}: not a MaxMind-format (.mmdb) database (${(err as Error).message})`, { cause: err });
  }
}
