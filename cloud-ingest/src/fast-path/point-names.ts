/** Above this many points at one timestamp, repeated names are found with a Set. */
const LINEAR_NAMES = 16;

/**
 * The point names seen at one timestamp of a batch, to find the same point twice at one ts
 * (which the reference path refuses). A short array while there are few (the common case:
 * one timestamp per batch, tens of points), a Set past LINEAR_NAMES.
 */
export class PointNames {
  private readonly names: string[] = [];
  private set: Set<string> | undefined;

  /** Records a point; false when it is already there. */
  add(name: string): boolean {
    const set = this.set;
    if (set !== undefined) {
      if (set.has(name)) return false;
      set.add(name);
      return true;
    }
    if (this.names.includes(name)) return false;
    this.names.push(name);
    if (this.names.length > LINEAR_NAMES) this.set = new Set(this.names);
    return true;
  }
}
