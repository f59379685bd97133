/** SQLite's page sizes: a power of two from 512 to 65536 bytes. One check for every place that takes one. */
export function isPageSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 512 && v <= 65536 && (v & (v - 1)) === 0;
}

/** What a page size must be, for error messages. */
export const PAGE_SIZE_RULE = 'a power of two from 512 to 65536 bytes';
