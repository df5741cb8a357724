import { InvalidArgumentError, type Command } from "commander";
import { NAMESPACE_PATTERN, newToken, ROLES, sha256Hex, type TokenEntry } from "../auth/tokens.js";

/**
 * `mageflow token create`: a new random token, printed once, and the tokens-file entry
 * (its SHA-256, never the token) to add to AUTH_TOKENS_FILE. docs/security.md: rotation.
 */
export function addTokenCommand(program: Command) {
  const token = program.command("token").description("bearer tokens for the server's AUTH_TOKENS_FILE");
  token
    .command("create")
    .description("print a new random token (shown once) and the tokens-file entry that admits it")
    .requiredOption("--name <name>", "a unique name for the token, e.g. billing-worker-2025-06 (limits count per name)", nonEmpty("--name"))
    .requiredOption("--namespace <namespace>", `the namespace it reaches (${NAMESPACE_PATTERN.source})`, namespaceName)
    .requiredOption("--role <role>", `what it may call: ${ROLES.join(", ")}`, role)
    .addHelpText(
      "after",
      "\nExample:\n  mageflow token create --name billing-app --namespace billing --role client\n" +
        "\nAdd the entry to the JSON array in AUTH_TOKENS_FILE and restart the server; give the token to its user.\n" +
        "Rotation: create a new token, deploy the file with both entries, move users to the new token, remove the old entry.\n",
    )
    .action((opts: { name: string; namespace: string; role: TokenEntry["role"] }, cmd: Command) => {
      // --json (a global option): one JSON object {token, entry}.
      const json = !!cmd.optsWithGlobals<{ json?: boolean }>().json;
      const secret = newToken();
      const entry: TokenEntry = { name: opts.name, sha256: sha256Hex(secret), namespace: opts.namespace, role: opts.role };
      if (json) {
        process.stdout.write(`${JSON.stringify({ token: secret, entry })}\n`);
        return;
      }
      process.stdout.write(
        `token (shown only now; the server keeps only its hash):\n  ${secret}\n\n` +
          `add this entry to the JSON array in AUTH_TOKENS_FILE, then restart the server:\n  ${JSON.stringify(entry)}\n\n` +
          `clients send it as the header (gRPC metadata) \`authorization: Bearer <token>\`; the CLI reads MAGEFLOW_TOKEN.\n`,
      );
    });
}

const nonEmpty = (flag: string) => (v: string) => {
  if (!v || v.length > 128 || /[\u0000-\u001f\u007f]/.test(v)) throw new InvalidArgumentError(`${flag} must be 1 to 128 printable characters`);
  return v;
};

function namespaceName(v: string) {
  if (!NAMESPACE_PATTERN.test(v)) throw new InvalidArgumentError(`lowercase letters, digits and dashes, 1 to 63 characters, not starting with a dash (${NAMESPACE_PATTERN.source})`);
  return v;
}

function role(v: string) {
  if (!(ROLES as readonly string[]).includes(v)) throw new InvalidArgumentError(`one of ${ROLES.join(", ")}`);
  return v;
}
