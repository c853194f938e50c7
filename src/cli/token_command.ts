/**
 * The CLI's `token` command: create, list and revoke the API tokens of a data directory
 * (`tokens.json`, read by the server; see `src/server/tokens.ts`).
 *
 * @module
 */

import { ArgumentError } from "../core/errors.ts";
import { parseScopes, scopes, TokenStore } from "../server/tokens.ts";
import { Failure, onePositional, parse, UsageError } from "./_common.ts";
import type { Command } from "./_common.ts";
import { dataDirOf, dataHelp, dataOption, requireDataDir } from "./_data.ts";

const tokenHelp = `Usage: cellar token create --scope SCOPES [--label TEXT] [--data DIR]
       cellar token list [--json] [--data DIR]
       cellar token revoke ID [--data DIR]

Manage the HTTP API's tokens, kept in DIR/tokens.json (mode 0600). A token is printed once,
by 'create', as cellar_<id>_<secret>: only a hash of it is stored, so it cannot be shown
again. Clients send it as 'Authorization: Bearer <token>' (docs/HTTP.md). The server
re-reads the file when it changes, so tokens can be created and revoked while it runs.

Scopes (comma-separated): ${scopes.join(", ")}
  peek   read the state (peeks)
  poke   submit events (pokes)
  admin  everything, including snapshots, GC and status details

Options:
${dataHelp}
  --scope SCOPES     The new token's scopes, e.g. peek,poke (create; required)
  --label TEXT       A note shown by 'list' (create)
  --json             Print the list as JSON (list)
  -h, --help         Show this help`;

/** `cellar token create|list|revoke`. */
export const tokenCommand: Command = {
  summary: "Create, list or revoke HTTP API tokens",
  help: tokenHelp,
  run(args: string[]): Promise<number> {
    const { values, positionals } = parse(args, {
      ...dataOption,
      help: { type: "boolean", short: "h" },
      scope: { type: "string" },
      label: { type: "string" },
      json: { type: "boolean" },
    });
    if (values.help) {
      console.log(tokenHelp);
      return Promise.resolve(0);
    }
    const [action, ...rest] = positionals;
    if (action === undefined) throw new UsageError("Expected an action: create, list or revoke");
    const onlyFor = (option: string, allowed: string) => {
      if ((values as Record<string, unknown>)[option] !== undefined && action !== allowed) {
        throw new UsageError(`--${option} is an option of 'token ${allowed}'`);
      }
    };
    const dir = dataDirOf(values);
    switch (action) {
      case "create": {
        if (rest.length > 0) throw new UsageError(`Unexpected argument: ${rest[0]}`);
        onlyFor("json", "list");
        if (values.scope === undefined) {
          throw new UsageError(`Missing --scope: one or more of ${scopes.join(", ")}`);
        }
        let granted;
        try {
          granted = parseScopes(values.scope);
        } catch (error) {
          if (error instanceof ArgumentError) throw new UsageError(error.message);
          throw error;
        }
        requireDataDir(dir);
        const store = TokenStore.open(dir);
        const { id, token } = store.create(granted, values.label ?? "");
        console.log(token);
        console.error(
          `Created token ${id} (${granted.join(", ")}). Store it now: it is not shown again.`,
        );
        return Promise.resolve(0);
      }
      case "list": {
        if (rest.length > 0) throw new UsageError(`Unexpected argument: ${rest[0]}`);
        onlyFor("scope", "create");
        onlyFor("label", "create");
        requireDataDir(dir);
        const tokens = TokenStore.open(dir).list();
        if (values.json) {
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
        return Promise.resolve(0);
      }
      case "revoke": {
        const id = onePositional(rest, "ID");
        onlyFor("scope", "create");
        onlyFor("label", "create");
        onlyFor("json", "list");
        requireDataDir(dir);
        if (!TokenStore.open(dir).revoke(id)) {
          throw new Failure(
            `No token ${id} in ${dir}/tokens.json ('cellar token list' shows them)`,
          );
        }
        console.log(`revoked ${id}`);
        return Promise.resolve(0);
      }
      default:
        throw new UsageError(`Unknown action '${action}': expected create, list or revoke`);
    }
  },
};
