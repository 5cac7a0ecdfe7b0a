import { basename, dirname, extname, join } from "node:path";
import { openTarget, sandboxPath, type Target, type TargetFlags } from "../target.js";
import type { FleetMember } from "./members.js";

/*
 * THE seam between a fleet and the console(s) it reconciles: `open(member)` gives the target for one
 * organization. Remote: one endpoint, one (partner) token, each organization at `/v1/orgs/{slug}/...`.
 */

export interface FleetConsole {
  open(member: FleetMember): Promise<Target>;
  close(): Promise<void>;
}

/**
 * The sandbox of one organization of a fleet, while the embedded console hosts one organization per file:
 * `.orgctl/sandbox.db` (or --sandbox FILE) gives `.orgctl/sandbox.<slug>.db` beside it.
 */
export function orgSandboxPath(flags: TargetFlags, slug: string): string {
  const base = sandboxPath(flags, null);
  const ext = extname(base);
  return join(dirname(base), `${basename(base, ext)}.${slug}${ext || ".db"}`);
}

export async function openFleetConsole(flags: TargetFlags): Promise<FleetConsole> {
  if (flags.endpoint ?? process.env.ORGCTL_ENDPOINT) {
    // One read first: a wrong endpoint or token is the fleet's one error, not the same error for every org.
    const probe = await openTarget(flags, null);
    await probe.close();
    return {
      open: (member) => openTarget(flags, member.config),
      close: async () => {},
    };
  }
  return {
    open: (member) => openTarget({ ...flags, sandbox: orgSandboxPath(flags, member.slug) }, member.config),
    close: async () => {},
  };
}
