/** The store key of a user record, and the scope of their tasks, conversations and files elsewhere. */
export const userKey = (tenant: string, userId: string) => `${tenant}/${userId}`;

/**
 * Joins key parts so that no two different part lists give one key: each part
 * is URI-encoded, so the `/` between them never occurs inside one (`a` +
 * `b/c` and `a/b` + `c` stay apart). Every key scoped to a tenant, user or
 * conversation is made here. Encoding also keeps `{` and `}` of client-chosen
 * ids out of Redis hash tags.
 */
export const scopedKey = (...parts: string[]): string => parts.map(encodeURIComponent).join('/');
