/**
 * build.ts — compiles postkit into one standalone binary, dist/postkit.
 *
 * usage: bun build.ts [outfile]
 *
 * The flags, and why (see ../shared/reference/bun.md):
 *   --no-compile-autoload-dotenv/--no-compile-autoload-bunfig  a compiled binary would otherwise load .env and
 *       bunfig.toml (with preload scripts) from the current directory: code injection into sendmail.
 *   MSGPACKR_NATIVE_ACCELERATION_DISABLED  stops msgpackr from loading a native addon from the build machine's
 *       node_modules at run time (slow, and machine-dependent behaviour).
 *   --minify --bytecode --format=esm  start-up time: one-shot tools must start within a few milliseconds.
 *   --splitting  each tool is its own chunk inside the binary, loaded on first use: start-up cost does not grow
 *       with the size of the whole code base (a 1 MB module costs ~7 ms to load even when never imported).
 */
const outfile = process.argv[2] ?? "dist/postkit";
const bun = process.execPath;
const proc = Bun.spawnSync(
  [
    bun, "build", "cmd/main.ts", "--compile", "--outfile", outfile,
    "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig",
    "--define", 'process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED="true"',
    "--minify", "--bytecode", "--format=esm", "--splitting",
  ],
  { stdout: "inherit", stderr: "inherit" },
);
process.exit(proc.exitCode ?? 1);
