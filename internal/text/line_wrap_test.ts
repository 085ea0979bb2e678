import { test, expect } from "bun:test";
import { lineWrap } from "./line_wrap.ts";

const words = (n: number) => Array.from({ length: n }, () => "aaaa").join(" ");

test("a line of at most len characters stays whole; the next word breaks it, the rest indented", () => {
  expect(lineWrap("short text", 79, 4)).toEqual(["short text"]);
  expect(words(16).length).toBe(79);
  expect(lineWrap(words(16), 79, 4)).toEqual([words(16)]);
  expect(lineWrap(words(17), 79, 4)).toEqual([words(16), "    aaaa"]);
  // continuation lines hold len - indent characters
  expect(lineWrap(words(16 + 16), 79, 4)).toEqual([words(16), `    ${words(15)}`, "    aaaa"]);
});

test("a word longer than a line stands alone; blanks at a break and trailing blanks go", () => {
  const long = "x".repeat(100);
  expect(lineWrap(`${long} tail`, 79, 4)).toEqual([long, "    tail"]);
  expect(lineWrap(`head ${long}`, 79, 4)).toEqual(["head", `    ${long}`]);
  expect(lineWrap(`${words(16)}   next  `, 79, 4)).toEqual([words(16), "    next"]);
  expect(lineWrap("a  b\tc", 79, 4)).toEqual(["a  b\tc"]);
});

test("a negative indent indents the first line only", () => {
  expect(lineWrap("one two three", 10, -2)).toEqual(["  one two", "three"]);
});
