import type { Page } from "../api/wire.js";
import type { ApiResult, HttpMethod, RequestOptions } from "./console-client.js";
import { ConsoleApiError } from "./errors.js";

/** The most items a page may hold: the console's own limit. */
export const MAX_PAGE_SIZE = 1000;

export interface ListAllOptions {
  /** Items per page, 1 to 1000. Default 1000. */
  pageSize?: number;
  signal?: AbortSignal;
}

/** What paging needs of the client: one request at a time, and the endpoint its errors name. */
export interface PageReader {
  readonly endpoint: string;
  request<T>(method: HttpMethod, path: string, options?: RequestOptions): Promise<ApiResult<T>>;
}

/** Every item of a list, with the ETag of each page it came from. */
export interface Collected<T> {
  items: T[];
  etags: (number | null)[];
}

/**
 * Reads a list whose length the console announced, all pages at once by offset. The ETags prove every page
 * came from the same revision (readLive checks them), and the count check catches a short read.
 */
export async function collectConcurrently<T>(
  reader: PageReader,
  path: string,
  total: number,
): Promise<Collected<T>> {
  if (total <= MAX_PAGE_SIZE) return collect<T>(reader, path);
  const offsets = Array.from({ length: Math.ceil(total / MAX_PAGE_SIZE) }, (_, i) => i * MAX_PAGE_SIZE);
  const pages = await Promise.all(
    offsets.map((offset) =>
      reader.request<Page<T>>("GET", path, { query: { limit: MAX_PAGE_SIZE, offset } }),
    ),
  );
  const items: T[] = [];
  for (const page of pages) {
    if (!page.body || !Array.isArray(page.body.items)) {
      throw new ConsoleApiError(
        page.status,
        "invalid_response",
        `the console answered GET ${path} without an items list`,
      );
    }
    items.push(...page.body.items);
  }
  return { items, etags: pages.map((p) => p.etag) };
}

/** Every item of a paged list (`{items, next_cursor}`), following cursors until `next_cursor` is null. */
export async function collect<T>(
  reader: PageReader,
  path: string,
  options: ListAllOptions = {},
): Promise<Collected<T>> {
  const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new Error(`pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}, not ${pageSize}`);
  }
  const items: T[] = [];
  const etags: (number | null)[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const page = await reader.request<Page<T>>("GET", path, {
      query: { limit: pageSize, cursor },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!page.body || !Array.isArray(page.body.items)) {
      throw new ConsoleApiError(
        page.status,
        "invalid_response",
        `the console answered GET ${path} without an items list; check that ${reader.endpoint} is the console`,
      );
    }
    items.push(...page.body.items);
    etags.push(page.etag);
    const next = page.body.next_cursor;
    if (next === null || next === undefined) return { items, etags };
    if (seen.has(next)) {
      throw new ConsoleApiError(
        page.status,
        "invalid_response",
        `the console returned the same cursor twice while listing ${path}; refusing to loop`,
      );
    }
    seen.add(next);
    cursor = next;
  }
}
