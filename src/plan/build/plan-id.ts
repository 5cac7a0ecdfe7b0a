import { createHash } from "node:crypto";
import type { Plan } from "../model.js";

/** Stage 6, id: sha256 over the config hash, the live revision and the steps: the same inputs give the same id. */
export function planIdOf(body: Omit<Plan, "plan_id">): string {
  return createHash("sha256")
    .update(
      JSON.stringify([
        body.config.hash,
        body.console.revision,
        body.steps.map((s) => [s.id, s.operation, s.secret ?? null]),
      ]),
    )
    .digest("hex")
    .slice(0, 16);
}
