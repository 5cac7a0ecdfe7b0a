import type { Command } from "commander";
import type { UserInfo } from "../client/console-client.js";
import { checkLogins } from "./logout.js";
import { TARGET_HELP } from "./plan.js";
import { endpointOption, fileOption, openTargetNextTo, sandboxOption, type TargetFlags } from "./target.js";

export function registerInvite(program: Command): void {
  const invite = program.command("invite").description("manage pending invitations");
  invite
    .command("resend")
    .description("send a pending invitation again (the reference console records when; it sends no mail)")
    .argument("<login>", "the invited user")
    .addOption(fileOption())
    .addOption(endpointOption())
    .addOption(sandboxOption())
    .addHelpText(
      "after",
      `
Only a user whose status is invited (created without a password, never logged in) has an invitation to
send. Who may create the user may resend: an org_admin, or a user_admin for members. The console sends it
at most once every 10 minutes per user, and records when (see orgctl users). The reference console
(orgctl serve) has no mail system: it records the invitation as sent but delivers nothing.
${TARGET_HELP}

Exit codes:
  0  the invitation was sent again
  1  error: invalid login, refused by the console (not_found, forbidden, conflict: not invited or sent
     less than 10 minutes ago), unreachable console`,
    )
    .action(async (rawLogin: string, flags: TargetFlags) => {
      const [login] = checkLogins([rawLogin]);
      const target = await openTargetNextTo(flags);
      const { randomUUID } = await import("node:crypto");
      const { requestOf } = await import("../api/operations.js");
      try {
        const request = requestOf({ op: "resend_invitation", login: login! });
        const result = await target.client.request<UserInfo>(request.method, request.path, {
          // Safe to retry: a replay answers from the console's idempotency store with no second invitation.
          idempotencyKey: `orgctl-invite-${randomUUID()}`,
        });
        const sent = result.body.invited_at ?? "now";
        process.stdout.write(`Invitation to ${login} sent again at ${sent} on ${target.label}\n`);
      } finally {
        await target.close();
      }
    });
}
