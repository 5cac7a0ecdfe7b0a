import { openSandbox, openTarget, type Target, type TargetFlags } from "../target.js";
import type { FleetMember } from "./members.js";

/*
 * THE seam between a fleet and its console: `open(member)` gives the target for one organization. Remote:
 * one endpoint, one (partner) token, each organization under its prefix (`orgs/{slug}`). Sandbox: one embedded
 * console for the whole fleet, each organization created in it on first use, managed by the sandbox's own
 * organization (a partner), whose token acts in each through the same prefix.
 */

export interface FleetConsole {
  open(member: FleetMember): Promise<Target>;
  close(): Promise<void>;
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
  const sandbox = await openSandbox(flags, null, null);
  return {
    open: (member) => sandbox.target(member.slug, member.config),
    close: () => sandbox.close(),
  };
}
