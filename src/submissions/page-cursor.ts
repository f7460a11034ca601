import { ValidateBy } from 'class-validator';

const SEQ = /^[1-9][0-9]{0,18}$/;

/** The opaque cursor of a list page: base64url of the `seq` of the page's last row. */
export function encodeCursor(seq: string): string {
  return Buffer.from(seq, 'utf8').toString('base64url');
}

/** The seq a cursor stands for, or null if it is not one this API gave out. */
export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(cursor)) return null;
  const seq = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!SEQ.test(seq) || BigInt(seq) > 9_223_372_036_854_775_807n || encodeCursor(seq) !== cursor) return null;
  return seq;
}

export function IsPageCursor(): PropertyDecorator {
  return ValidateBy({
    name: 'isPageCursor',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && decodeCursor(value) !== null,
      defaultMessage: () => 'cursor is not one this API gave out: pass the nextCursor of the previous page unchanged',
    },
  });
}
