/**
 * node_fs — node:fs, loaded the first time it is needed instead of when a module is loaded.
 *
 * Problem: importing node:fs costs about 0.9 ms at the start of a compiled postkit (Bun builds the module and
 * starts helper threads), more than a third of what a whole Postfix sendmail or postlog takes; a module that
 * needs node:fs only on a rare path (an error, a fallback, a directory to create) made every tool that imports
 * it pay. Solution: such modules call nodeFs().xxxSync(…) on those paths; the common paths use libc.ts.
 *
 * Contract: nodeFs() returns the node:fs module (the same object on every call) and never throws.
 */
import type * as NodeFs from "node:fs";

let fs: typeof NodeFs | undefined;

/** The node:fs module, loaded on first use. */
export function nodeFs(): typeof NodeFs {
  return (fs ??= require("node:fs") as typeof NodeFs);
}
