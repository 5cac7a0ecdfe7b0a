import { API, API_PREFIX } from "../api/routes.js";
import type { ConsoleClient } from "../client/console-client.js";
import { ConsoleApiError, ConsoleUnreachableError } from "../client/errors.js";
import { CliError } from "./errors.js";

/** The first error code found on an error, its causes, or the parts of an AggregateError. */
function codeOf(error: unknown, depth = 0): string | undefined {
  if (typeof error !== "object" || error === null || depth > 5) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && code !== "console_unreachable") return code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = codeOf(inner, depth + 1);
      if (found) return found;
    }
  }
  return codeOf((error as { cause?: unknown }).cause, depth + 1);
}

function messagesOf(error: unknown, depth = 0): string {
  if (typeof error !== "object" || error === null || depth > 5) return "";
  const own = typeof (error as { message?: unknown }).message === "string" ? (error as Error).message : "";
  return `${own} ${messagesOf((error as { cause?: unknown }).cause, depth + 1)}`;
}

const CERTIFICATE_CODES =
  /^(UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT|CERT_|ERR_TLS_CERT_ALTNAME_INVALID)/;

/**
 * Turns what went wrong on the first request to an endpoint into an error that names the problem and the fix:
 * nothing listening, not reachable, HTTPS against a plain-HTTP console, an untrusted certificate, a token the
 * console refuses, or a URL where no console API answers.
 */
export function explainEndpointError(error: unknown, endpoint: string, url: URL): unknown {
  const code = codeOf(error);
  if (error instanceof ConsoleUnreachableError) {
    if (code === "ECONNREFUSED") {
      return new CliError(
        "console_refused",
        `nothing is listening at ${endpoint} (connection refused); check the host and port in ` +
          "ORGCTL_ENDPOINT or --endpoint, and that the console is running",
      );
    }
    if (url.protocol === "http:" && (code === "ECONNRESET" || code === "UND_ERR_SOCKET")) {
      return new CliError(
        "console_unreachable",
        `${error.message} If the console serves HTTPS, use ${endpoint.replace(/^http:/, "https:")}`,
      );
    }
    return error;
  }
  if (error instanceof ConsoleApiError) {
    if (error.status === 401) {
      return new CliError(
        "token_rejected",
        `the console at ${endpoint} does not accept ORGCTL_TOKEN (${error.message}); set ORGCTL_TOKEN ` +
          `to a valid API token for this console (an org_admin issues one: ${API.issueToken.method} ${API.issueToken.path})`,
      );
    }
    if (error.status === 404) {
      const path = url.pathname.replace(/\/+$/, "");
      const fix = path.toLowerCase().endsWith(API_PREFIX)
        ? `leave ${API_PREFIX} out: the endpoint is the console's base URL, ${url.origin}${path.slice(0, -API_PREFIX.length)}`
        : `check the path: the endpoint is the URL the console serves ${API_PREFIX}/... under, e.g. ${url.origin}`;
      return new CliError(
        "endpoint_wrong_path",
        `no orgctl console answers at ${endpoint} (${API.org.method} ${endpoint}${API.org.path}: 404); ${fix}`,
      );
    }
    return error;
  }
  const text = messagesOf(error);
  if (
    url.protocol === "https:" &&
    (/wrong version number|packet length too long|http request/i.test(text) || code === "EPROTO")
  ) {
    return new CliError(
      "endpoint_not_https",
      `${endpoint} does not answer HTTPS (the TLS handshake failed: it looks like a plain-HTTP console); ` +
        `use ${endpoint.replace(/^https:/, "http:")}, or put the console behind TLS`,
    );
  }
  if (code && CERTIFICATE_CODES.test(code)) {
    return new CliError(
      "endpoint_tls",
      `the TLS certificate of ${endpoint} is not trusted (${code}); if your organization uses its own CA, ` +
        "set NODE_EXTRA_CA_CERTS to its certificate file",
    );
  }
  return error;
}

/** One read before anything else, so that a wrong endpoint or token is named as such and nothing is done. */
export async function checkEndpoint(client: ConsoleClient, url: URL): Promise<void> {
  try {
    await client.request(API.org.method, API.org.path);
  } catch (error) {
    throw explainEndpointError(error, client.endpoint, url);
  }
}
