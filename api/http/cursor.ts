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
