/**
 * Every operation the console routes answers with something: an answer of its own (HANDLING in
 * src/console/routes/operations.ts), or the record it acts on when it is an operation on a kind listed by
 * the records route (record-answers.ts). An operation that is neither would answer 500 at run time; this
 * catches it when it is added.
 */
import { describe, expect, it } from "vitest";
import { OPERATIONS_ANSWERED_WITH_THE_RECORD } from "../../src/console/routes/operations.js";
import { LISTED_KINDS, RECORD_KINDS } from "../../src/domain/index.js";

describe("the console's answer to each operation", () => {
  it("is declared, or the operation acts on a listed record kind (create_<noun>, update_<noun>, delete_<noun>)", () => {
    const nouns = (LISTED_KINDS as string[]).map(
      (kind) => (RECORD_KINDS as Record<string, { noun: string }>)[kind]!.noun,
    );
    const stray = OPERATIONS_ANSWERED_WITH_THE_RECORD.filter(
      (name) => !nouns.some((noun) => new RegExp(`^(create|update|delete)_${noun}$`).test(name)),
    );
    expect(stray).toEqual([]);
  });
});
