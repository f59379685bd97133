/**
 * An attribute map that counts its changes, so the JSON written from it is known to be current
 * without comparing ~20 entries on every event of its instance (in a fresh process, before the
 * comparison loop is optimised, that compare was a large share of writing an event). Every
 * change goes through set, delete or clear, so nothing can change it unseen.
 */
export class AttributeMap extends Map<string, string | undefined> {
  changes = 0;

  override set(name: string, value: string | undefined): this {
    this.changes++;
    return super.set(name, value);
  }

  override delete(name: string): boolean {
    this.changes++;
    return super.delete(name);
  }

  override clear(): void {
    this.changes++;
    super.clear();
  }
}
