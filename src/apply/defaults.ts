/** How many independent steps apply runs at the same time unless told otherwise (`--parallelism`). */
export const DEFAULT_PARALLELISM = 4;

/**
 * How many independent disables or deletes apply sends in one bulk call unless told otherwise
 * (`--bulk-size`; 1 sends each alone). The console takes up to 1000 per call.
 */
export const DEFAULT_BULK_SIZE = 100;
