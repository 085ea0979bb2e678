/**
 * golden — runs the golden cases of testdata/postmap/ and testdata/postalias/ and renders their transcript.
 *
 * A case is a directory: `cmd` lists one command per line (`postmap -q key1 hash:map`, shell-style quotes,
 * `< FILE` feeds a file on standard input, a trailing `| sort` sorts standard output); every other file is an
 * input, copied into a fresh work directory where the commands run in order; `main.cf` (optional) replaces the
 * default configuration. `$DATA` in `cmd` and `main.cf` stands for the work directory (and replaces it in the
 * transcript). `expected.ref` is the transcript:
 *
 *   $ postmap -q key1 hash:map
 *   value one                      standard output
 *   [stderr]                       (only when there is some)
 *   postmap: warning: …
 *   [exit 0]
 *
 * A `cmd` whose first line is `# postkit only` is not compared with Debian's Postfix (it uses behaviour that
 * Postfix 3.7 lacks or words differently); a `# needs pcre lmdb` line skips the comparison where Debian's
 * Postfix lacks one of those table types. YP_LAST_MODIFIED values are replaced by 0000000000.
 * Tests only; never part of the binary.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { BIN } from "../../cmd/_testkit.ts";

/** Configuration used when a case has no main.cf of its own. */
export const DEFAULT_MAIN_CF = "compatibility_level = 3.6\nmyhostname = host.example.test\n";

/** Where Debian's programs are. */
export const DEBIAN_BIN = "/usr/sbin";

/** Debian's program `tool` (newaliases lives in /usr/bin). */
export function debianPath(tool: string): string {
  const sbin = join(DEBIAN_BIN, tool);
  return existsSync(sbin) ? sbin : join("/usr/bin", tool);
}

/** The case directories under `root`, sorted. */
export function goldenCases(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, "cmd")))
    .map((d) => d.name)
    .sort();
}

let debianTypes: string[] | undefined;

/** The table types Debian's Postfix has here (`postconf -m`; pcre, lmdb and cdb are separate packages). */
function debianMapTypes(): string[] {
  if (debianTypes === undefined) {
    const p = Bun.spawnSync([join(DEBIAN_BIN, "postconf"), "-m"], { stdout: "pipe", stderr: "pipe" });
    debianTypes = p.exitCode === 0 ? p.stdout.toString().split("\n").filter((t) => t !== "") : [];
  }
  return debianTypes;
}

/**
 * Whether the case is to be compared with Debian's Postfix: not when its `cmd` starts with `# postkit only`, nor
 * when a `# needs TYPE...` line names a table type Debian's Postfix lacks here (the reason is printed).
 */
export function comparesWithDebian(caseDir: string): boolean {
  const cmd = readFileSync(join(caseDir, "cmd"), "utf8");
  if (cmd.startsWith("# postkit only")) return false;
  const needs = /^# needs (.+)$/m.exec(cmd)?.[1]?.split(/\s+/) ?? [];
  const missing = needs.filter((t) => !debianMapTypes().includes(t));
  if (missing.length > 0) {
    console.log(`golden: ${caseDir}: Debian's Postfix lacks ${missing.join(", ")} (postfix-${missing[0]} package); not comparing`);
    return false;
  }
  return true;
}

function words(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let have = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      cur += line.slice(i + 1, end < 0 ? line.length : end);
      have = true;
      i = end < 0 ? line.length : end;
    } else if (c === " " || c === "\t") {
      if (have) out.push(cur);
      cur = "";
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) out.push(cur);
  return out;
}

/**
 * Runs every command of a case with postkit or Debian's Postfix and returns the transcript. Asynchronous, so
 * that cases run side by side: Postfix sleeps one second after every fatal error.
 */
export async function runGoldenCase(caseDir: string, impl: "postkit" | "debian"): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), "postkit-golden-"));
  try {
    const etc = join(work, "etc");
    mkdirSync(etc);
    const data = join(work, "data");
    mkdirSync(data);
    for (const f of readdirSync(caseDir)) {
      if (f === "cmd" || f === "expected.ref") continue;
      if (f === "main.cf") writeFileSync(join(etc, "main.cf"), readFileSync(join(caseDir, f), "utf8").replaceAll("$DATA", data));
      else cpSync(join(caseDir, f), join(data, f), { recursive: true });
    }
    if (!existsSync(join(etc, "main.cf"))) writeFileSync(join(etc, "main.cf"), DEFAULT_MAIN_CF);
    let transcript = "";
    for (const raw of readFileSync(join(caseDir, "cmd"), "utf8").split("\n")) {
      const line = raw.trim().replaceAll("$DATA", data);
      if (line === "" || line.startsWith("#")) continue;
      let cmdLine = line;
      let sort = false;
      if (cmdLine.endsWith("| sort")) {
        sort = true;
        cmdLine = cmdLine.slice(0, -6).trim();
      }
      let stdin: Uint8Array | undefined;
      const lt = cmdLine.lastIndexOf(" < ");
      if (lt >= 0) {
        stdin = readFileSync(join(data, cmdLine.slice(lt + 3).trim()));
        cmdLine = cmdLine.slice(0, lt);
      }
      const [tool, ...args] = words(cmdLine);
      const p = Bun.spawn({
        cmd: impl === "postkit" ? [BIN, ...args] : [debianPath(tool!), ...args],
        argv0: impl === "postkit" ? tool : undefined,
        cwd: data,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/", TZ: "UTC", LANG: "C", MAIL_CONFIG: etc },
        stdin: stdin ?? Buffer.from(""),
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, stderr, status] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      const r = { stdout, stderr, status };
      let out = r.stdout;
      if (sort) out = out.split("\n").filter((l) => l !== "").sort().map((l) => `${l}\n`).join("");
      transcript += `$ ${line.replaceAll(data, "$DATA")}\n${out.replaceAll(data, "$DATA")}`;
      if (r.stderr !== "") transcript += `[stderr]\n${r.stderr.replaceAll(data, "$DATA")}`;
      transcript += `[exit ${r.status}]\n`;
    }
    return transcript.replace(/YP_LAST_MODIFIED(:?)\t\d{10}/g, "YP_LAST_MODIFIED$1\t0000000000");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
