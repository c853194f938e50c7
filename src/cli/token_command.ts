/**
 * The CLI's `token` command: create, list and revoke the API tokens of a data directory
 * (`tokens.json`, read by the server; see `src/server/tokens.ts`).
 *
 * @module
 */

import { ArgumentError } from "../core/errors.ts";
import { parseScopes, scopes, TokenStore } from "../server/tokens.ts";
import type { Scope } from "../server/tokens.ts";
import { Failure, onePositional, UsageError } from "./_common.ts";
import { defineCommand } from "./_command.ts";
import type { Command, Input } from "./_command.ts";

const tokenOptions = {
  scope: { type: "string" },
  label: { type: "string" },
  json: { type: "boolean" },
} as const;

/** The checked arguments of one token action. */
type TokenArgs =
  | { action: "create"; scopes: Scope[]; label: string }
  | { action: "list"; json: boolean }
  | { action: "revoke"; id: string };

function checkToken({ values, positionals }: Input<typeof tokenOptions>): TokenArgs {
  const [action, ...rest] = positionals;
  if (action === undefined) throw new UsageError("Expected an action: create, list or revoke");
  const onlyFor = (option: keyof typeof tokenOptions, allowed: string) => {
    if (values[option] !== undefined && action !== allowed) {
      throw new UsageError(`--${option} is an option of 'token ${allowed}'`);
    }
  };
  switch (action) {
    case "create": {
      if (rest.length > 0) throw new UsageError(`Unexpected argument: ${rest[0]}`);
      onlyFor("json", "list");
      if (values.scope === undefined) {
        throw new UsageError(`Missing --scope: one or more of ${scopes.join(", ")}`);
      }
      try {
        return { action, scopes: parseScopes(values.scope), label: values.label ?? "" };
      } catch (error) {
        if (error instanceof ArgumentError) throw new UsageError(error.message);
        throw error;
      }
    }
    case "list":
      if (rest.length > 0) throw new UsageError(`Unexpected argument: ${rest[0]}`);
      onlyFor("scope", "create");
      onlyFor("label", "create");
      return { action, json: values.json ?? false };
    case "revoke": {
      const id = onePositional(rest, "ID");
      onlyFor("scope", "create");
      onlyFor("label", "create");
      onlyFor("json", "list");
      return { action, id };
    }
    default:
      throw new UsageError(`Unknown action '${action}': expected create, list or revoke`);
  }
}

function listTokens(dir: string, json: boolean): void {
  const tokens = TokenStore.open(dir).list();
  if (json) {
    console.log(JSON.stringify(tokens, null, 2));
  } else if (tokens.length === 0) {
    console.log("no tokens");
  } else {
    for (const t of tokens) {
      console.log(
        `${t.id}  ${t.scopes.join(",").padEnd(15)}  ${t.createdAt}  ${t.label}`.trimEnd(),
      );
    }
  }
}

function runToken(args: TokenArgs, dir: string): number {
  switch (args.action) {
    case "create": {
      const { id, token } = TokenStore.open(dir).create(args.scopes, args.label);
      console.log(token);
      console.error(
        `Created token ${id} (${args.scopes.join(", ")}). Store it now: it is not shown again.`,
      );
      return 0;
    }
    case "list":
      listTokens(dir, args.json);
      return 0;
    case "revoke":
      if (!TokenStore.open(dir).revoke(args.id)) {
        throw new Failure(
          `No token ${args.id} in ${dir}/tokens.json ('cellar token list' shows them)`,
        );
      }
      console.log(`revoked ${args.id}`);
      return 0;
  }
}

/** `cellar token create|list|revoke`. */
export const tokenCommand: Command = defineCommand({
  name: "token",
  summary: "Create, list or revoke HTTP API tokens",
  usage: [
    "cellar token create --scope SCOPES [--label TEXT] [--data DIR]",
    "cellar token list [--json] [--data DIR]",
    "cellar token revoke ID [--data DIR]",
  ],
  about:
    `Manage the HTTP API's tokens, kept in DIR/tokens.json (mode 0600). A token is printed once,
by 'create', as cellar_<id>_<secret>: only a hash of it is stored, so it cannot be shown
again. Clients send it as 'Authorization: Bearer <token>' (docs/HTTP.md). The server
re-reads the file when it changes, so tokens can be created and revoked while it runs.

Scopes (comma-separated): ${scopes.join(", ")}
  peek   read the state (peeks)
  poke   submit events (pokes)
  admin  everything, including snapshots, GC and status details`,
  options: tokenOptions,
  optionHelp: `  --scope SCOPES     The new token's scopes, e.g. peek,poke (create; required)
  --label TEXT       A note shown by 'list' (create)
  --json             Print the list as JSON (list)`,
  positionals: { name: "ACTION", min: 0, max: Infinity },
  data: "write",
  check: checkToken,
  run: runToken,
});
