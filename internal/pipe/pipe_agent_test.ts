import { test, expect } from "bun:test";
import { transformLines } from "./pipe_agent.ts";

const run = (chunks: string[], eol: string, dot: boolean) =>
  Buffer.concat([...transformLines(chunks.map((c) => Buffer.from(c)), eol, dot)]).toString();

test("transformLines() passes the input through with eol \\n and no dot quoting", () => {
  expect(run(["a\n.b\n"], "\n", false)).toBe("a\n.b\n");
});

test("transformLines() writes eol= line ends and doubles leading dots across chunk edges", () => {
  expect(run(["a\n.b\n", ".", "c\nd.\n"], "\r\n", true)).toBe("a\r\n..b\r\n..c\r\nd.\r\n");
  expect(run([".x\n"], "\n", true)).toBe("..x\n");
});
