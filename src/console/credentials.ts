/** The shortest bootstrap token `orgctl serve` accepts; generated tokens are 36 characters. */
export const BOOTSTRAP_TOKEN_MIN_LENGTH = 32;
const BOOTSTRAP_TOKEN_MIN_DISTINCT = 10;

/**
 * Why a bootstrap token (ORGCTL_BOOTSTRAP_TOKEN) is too weak to guard the owner's account, or null when it is
 * strong enough: at least 32 visible ASCII characters, at least 10 of them different. The token is never
 * quoted back, even in part.
 */
export function bootstrapTokenProblem(token: string): string | null {
  if (!/^[\x21-\x7e]+$/.test(token)) {
    return "ORGCTL_BOOTSTRAP_TOKEN must be visible ASCII characters without spaces";
  }
  if (token.length < BOOTSTRAP_TOKEN_MIN_LENGTH) {
    return `ORGCTL_BOOTSTRAP_TOKEN has ${token.length} characters; it needs at least ${BOOTSTRAP_TOKEN_MIN_LENGTH}`;
  }
  if (new Set(token).size < BOOTSTRAP_TOKEN_MIN_DISTINCT) {
    return `ORGCTL_BOOTSTRAP_TOKEN uses fewer than ${BOOTSTRAP_TOKEN_MIN_DISTINCT} different characters`;
  }
  return null;
}
