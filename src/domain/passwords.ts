/** The console's password policy, shared by the console's API description and the planner's checks. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * Why a password breaks the policy, or null when it meets it. The sentence names only lengths, never the
 * password or any part of it.
 */
export function passwordProblem(password: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH)
    return `the password has ${length} characters; the console needs at least ${PASSWORD_MIN_LENGTH}`;
  if (length > PASSWORD_MAX_LENGTH)
    return `the password has ${length} characters; the console takes at most ${PASSWORD_MAX_LENGTH}`;
  return null;
}
