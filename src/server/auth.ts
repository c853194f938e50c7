/**
 * Bearer-token auth of the HTTP API: the token store of the data directory (a first start
 * writes an admin token), and the check of a request's token against the scope a route needs.
 *
 * @module
 */

import { HttpError } from "./http_util.ts";
import { describe, ServerStartError } from "./options.ts";
import { allows, TokenStore } from "./tokens.ts";
import type { Scope } from "./tokens.ts";

/** What a route needs: a scope, or `status` (which any `peek` token may see). */
export type Needed = Scope | "status";

/**
 * Checks a request's credentials; throws the {@linkcode HttpError} (401, 403) to answer,
 * and returns the scopes of the token that passed (what a route may show depends on them).
 */
export interface Authorizer {
  authorize(request: Request, needed: Needed): readonly Scope[];
}

/**
 * Open the token store of `dataDir`; when it holds no token (a first start), create an admin
 * token and write it to `<dataDir>/admin.token` (mode 0600).
 */
export function openTokens(dataDir: string): { tokens: TokenStore; adminTokenPath?: string } {
  try {
    const tokens = TokenStore.open(dataDir);
    if (tokens.list().length > 0) return { tokens };
    const { token } = tokens.create(["admin"], "first-run admin (cellar serve)");
    const adminTokenPath = `${dataDir}/admin.token`;
    Deno.writeTextFileSync(adminTokenPath, token + "\n", { mode: 0o600 });
    Deno.chmodSync(adminTokenPath, 0o600);
    return { tokens, adminTokenPath };
  } catch (cause) {
    throw new ServerStartError(`Cannot set up the API tokens: ${describe(cause)}`, { cause });
  }
}

/**
 * The {@linkcode Authorizer} of a {@linkcode TokenStore}. It reads the token file again before
 * each check, so tokens the CLI creates or revokes count at once; a file it cannot read keeps
 * the previous tokens (logged once per problem).
 */
export class TokenAuthorizer implements Authorizer {
  #tokens: TokenStore;
  #log: (line: string) => void;
  #fileProblem: string | null = null;

  constructor(tokens: TokenStore, log: (line: string) => void) {
    this.#tokens = tokens;
    this.#log = log;
  }

  authorize(request: Request, needed: Needed): readonly Scope[] {
    this.#reload();
    const header = request.headers.get("authorization");
    const m = header === null ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (m === null) {
      throw new HttpError(
        401,
        "Unauthorized",
        header === null
          ? "This endpoint needs a token: send Authorization: Bearer <token>"
          : "The Authorization header is not of the form: Bearer <token>",
        { headers: { "www-authenticate": 'Bearer realm="cellar"' } },
      );
    }
    const who = this.#tokens.verify(m[1]);
    if (who === null) {
      throw new HttpError(401, "Unauthorized", "The token is not valid (unknown or revoked)", {
        headers: { "www-authenticate": 'Bearer realm="cellar", error="invalid_token"' },
      });
    }
    const scope: Scope = needed === "status" ? "peek" : needed;
    if (!allows(who.scopes, scope)) {
      throw new HttpError(
        403,
        "Forbidden",
        `The token ${who.id} has scopes [${who.scopes.join(", ")}]; this needs ${scope} or admin`,
        {
          headers: {
            "www-authenticate":
              `Bearer realm="cellar", error="insufficient_scope", scope="${scope}"`,
          },
        },
      );
    }
    return who.scopes;
  }

  #reload(): void {
    try {
      this.#tokens.reload();
      this.#fileProblem = null;
    } catch (error) {
      const text = describe(error);
      if (this.#fileProblem !== text) {
        this.#log(`cellar serve: keeping the previous tokens: ${text}`);
      }
      this.#fileProblem = text;
    }
  }
}
