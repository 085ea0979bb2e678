/**
 * line_splitter_test — lines across chunk boundaries, bytes kept one character each, the unterminated rest.
 */
import { test, expect } from "bun:test";
import { LineSplitter } from "./line_splitter.ts";

test("lines split across chunks come out whole; the rest is what follows the last LF", () => {
  const s = new LineSplitter();
  const lines: string[] = [];
  for (const c of ["ab", "c\nde\n", "\n\xe9f"]) s.push(Buffer.from(c, "latin1"), (l) => lines.push(l));
  expect(lines).toEqual(["abc", "de", ""]);
  expect(s.rest()).toBe("\xe9f");
});
