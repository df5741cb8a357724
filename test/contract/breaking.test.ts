// Demonstrates that the contract check catches a deliberate breaking change and lets an additive one
// through, both with `buf breaking` against a git commit and through scripts/check-contract.sh (the
// stage CI runs). Works on a throwaway git repository holding a copy of proto/ and buf.yaml.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const env = {
  ...process.env,
  PATH: `${path.join(repoRoot, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
  GIT_AUTHOR_NAME: "contract-test",
  GIT_AUTHOR_EMAIL: "contract-test@example.invalid",
  GIT_COMMITTER_NAME: "contract-test",
  GIT_COMMITTER_EMAIL: "contract-test@example.invalid",
  CONTRACT_BASE: "",
};
const signatureProto = path.join("proto", "mageflow", "v1", "signature.proto");

interface Run {
  status: number | null;
  output: string;
}

function run(cwd: string, cmd: string, args: string[]): Run {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function git(cwd: string, ...args: string[]): string {
  const r = run(cwd, "git", ["-c", "commit.gpgsign=false", ...args]);
  assert.equal(r.status, 0, `git ${args.join(" ")}: ${r.output}`);
  return r.output.trim();
}

let dir = "";

/** A fresh repository with one commit holding the current contract. Returns that commit. */
function freshRepo(name: string): { repo: string; base: string } {
  const repo = path.join(dir, name);
  mkdirSync(path.join(repo, "scripts"), { recursive: true });
  cpSync(path.join(repoRoot, "proto"), path.join(repo, "proto"), { recursive: true });
  cpSync(path.join(repoRoot, "buf.yaml"), path.join(repo, "buf.yaml"));
  cpSync(path.join(repoRoot, "scripts", "check-contract.sh"), path.join(repo, "scripts", "check-contract.sh"));
  git(repo, "init", "-q", "-b", "main");
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "contract v1");
  return { repo, base: git(repo, "rev-parse", "HEAD") };
}

function edit(repo: string, from: string, to: string): void {
  const file = path.join(repo, signatureProto);
  const text = readFileSync(file, "utf8");
  assert.ok(text.includes(from), `${signatureProto} no longer contains ${JSON.stringify(from)}`);
  writeFileSync(file, text.replace(from, to));
}

const renameField = (repo: string) => edit(repo, "string task_name = 2;", "string task_title = 2;");
const addField = (repo: string) =>
  edit(
    repo,
    "  bool removed = 17;\n",
    "  bool removed = 17;\n  // A free-form note (added by the contract test).\n  string note = 1000;\n",
  );

function bufBreaking(repo: string, against: string): Run {
  return run(repo, "buf", ["breaking", "proto", "--against", `.git#ref=${against},subdir=proto`]);
}

function checkBreaking(repo: string): Run {
  return run(repo, "bash", ["scripts/check-contract.sh", "breaking"]);
}

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "contract-breaking-"));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("renaming a field is caught by buf breaking against the previous commit", () => {
  const { repo, base } = freshRepo("rename-buf");
  renameField(repo);
  git(repo, "commit", "-q", "-am", "rename Signature.task_name");
  const r = bufBreaking(repo, base);
  assert.notEqual(r.status, 0, `buf breaking passed a renamed field:\n${r.output}`);
  assert.match(r.output, /changed name from "task_name" to "task_title"/);
  assert.match(r.output, /signature\.proto/);
});

test("renaming a field makes scripts/check-contract.sh fail and says what it compared", () => {
  const { repo, base } = freshRepo("rename-script");
  renameField(repo);
  git(repo, "commit", "-q", "-am", "rename Signature.task_name");
  const r = checkBreaking(repo);
  assert.notEqual(r.status, 0, `check-contract passed a renamed field:\n${r.output}`);
  assert.match(r.output, /task_name/);
  assert.match(r.output, new RegExp(`against ${base.slice(0, 7)}`));
  assert.match(r.output, /FAILED: buf breaking/);
});

test("an uncommitted break is compared against HEAD and fails", () => {
  const { repo } = freshRepo("rename-worktree");
  renameField(repo);
  const r = checkBreaking(repo);
  assert.notEqual(r.status, 0, r.output);
  assert.match(r.output, /working tree proto\/ \(uncommitted changes\) against HEAD/);
  assert.match(r.output, /task_name/);
});

test("a break two commits back is still the comparison when later commits leave proto/ alone", () => {
  const { repo, base } = freshRepo("rename-then-other");
  renameField(repo);
  git(repo, "commit", "-q", "-am", "rename Signature.task_name");
  writeFileSync(path.join(repo, "README.md"), "unrelated\n");
  git(repo, "add", "README.md");
  git(repo, "commit", "-q", "-m", "unrelated change");
  const r = checkBreaking(repo);
  assert.notEqual(r.status, 0, r.output);
  assert.match(r.output, new RegExp(`against ${base.slice(0, 7)}`));
});

test("adding a field passes both buf breaking and scripts/check-contract.sh", () => {
  const { repo, base } = freshRepo("additive");
  addField(repo);
  git(repo, "commit", "-q", "-am", "add Signature.note");
  const direct = bufBreaking(repo, base);
  assert.equal(direct.status, 0, direct.output);
  const script = checkBreaking(repo);
  assert.equal(script.status, 0, script.output);
  assert.match(script.output, /no breaking change/);
});

test("the first version of the contract has nothing to compare and passes, saying so", () => {
  const { repo } = freshRepo("first");
  const r = checkBreaking(repo);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /introduces the first version of proto\//);
});

test("a shallow clone without history fails instead of skipping silently", () => {
  const { repo } = freshRepo("shallow-origin");
  addField(repo);
  git(repo, "commit", "-q", "-am", "add Signature.note");
  const clone = path.join(dir, "shallow-clone");
  git(dir, "clone", "-q", "--depth", "1", `file://${repo}`, clone);
  // Make the origin unreachable so the script cannot deepen the clone.
  rmSync(repo, { recursive: true, force: true });
  const r = checkBreaking(clone);
  assert.notEqual(r.status, 0, r.output);
  assert.match(r.output, /shallow clone/);
});
