import { validationProblem } from './problem';

/** Opaque page cursors: the sort key of the last item seen, base64url-encoded. */
export const encodeCursor = (key: [string, string]) => Buffer.from(JSON.stringify(key)).toString('base64url');

export function decodeCursor(cursor: string): [string, string] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === 2 && key.every((part) => typeof part === 'string')) {
      if (!Number.isNaN(Date.parse(key[0] as string))) return key as [string, string];
    }
  } catch {
    // Falls through to the 400 below.
  }
  throw validationProblem([{ field: 'query.cursor', message: 'is not a cursor this API issued' }]);
}

/** Keyset pagination: given limit + 1 rows, the extra one says there is a next page, after the last row shown. */
export function toPage<Row, View>(
  rows: Row[],
  limit: number,
  keyOf: (row: Row) => [string, string],
  view: (row: Row) => View,
) {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(view),
    nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null,
  };
}
