/**
 * One shared copy of each string seen recently: strings decoded over and over (a checker's name,
 * a verdict's reason) are held once instead of once per holder. Bounded: past `max` distinct
 * strings it starts over, so unusual ones (a reason naming an address) cannot grow it for good.
 */
export class Interner {
  private readonly seen = new Map<string, string>();

  constructor(private readonly max = 10_000) {}

  of(s: string): string {
    const known = this.seen.get(s);
    if (known !== undefined) return known;
    if (this.seen.size >= this.max) this.seen.clear();
    this.seen.set(s, s);
    return s;
  }
}
