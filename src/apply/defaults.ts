/** How many independent steps apply runs at the same time unless told otherwise (`--parallelism`). */
export const DEFAULT_PARALLELISM = 4;
