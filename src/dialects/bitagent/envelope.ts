const PAGE = Symbol('bitagent.page');

/** A listing page: `data` is the item array and `total` sits beside it (`POST /ability/page`). */
export interface Page {
  readonly [PAGE]: true;
  items: unknown[];
  total: number;
}

export function page(items: unknown[], total: number): Page {
  return { [PAGE]: true, items, total };
}

function isPage(data: unknown): data is Page {
  return typeof data === 'object' && data !== null && PAGE in data;
}

/** `{code: "200", message: "", data}`: the code is a STRING in this API, errors included. */
export function bitAgentEnvelope(data: unknown): unknown {
  if (isPage(data)) return { code: '200', message: '', data: data.items, total: data.total };
  return { code: '200', message: '', data };
}
