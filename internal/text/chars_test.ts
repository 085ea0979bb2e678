import { describe, expect, test } from "bun:test";
import {
  asciiLower, controlsToQuestionMarks, trimBlanksEnd, digitsEnd, isAllDigits, nameEnd, splitListItems, trimConfigSpace, trimConfigSpaceStart,
  splitConfigWords, unescapeC, zeroPad,
} from "./chars.ts";

describe("chars: the scans agree with the regular expressions they replace", () => {
  const samples = ["", "a", " a ", "\t\r\n x y \n", "1,2", "a, b,,c\t d\n", "x\fy\vz", "é b\u00a0c", "$name_1-x", "007x", "-12"];

  test("nameEnd is /^[A-Za-z0-9_]*/", () => {
    for (const s of samples) expect(nameEnd(s, 0)).toBe(/^[A-Za-z0-9_]*/.exec(s)![0].length);
    expect(nameEnd("$abc_9-x", 1)).toBe(6);
  });

  test("digitsEnd and isAllDigits are \\d{0,max} and /^\\d+$/", () => {
    for (const s of samples) {
      expect(digitsEnd(s, 0)).toBe(/^\d*/.exec(s)![0].length);
      expect(isAllDigits(s)).toBe(/^\d+$/.test(s));
    }
    expect(digitsEnd("12345", 0, 3)).toBe(3);
    expect(digitsEnd("a12", 1, 1)).toBe(2);
  });

  test("trimConfigSpace strips [ \\t\\r\\n] only", () => {
    for (const s of samples) {
      expect(trimConfigSpace(s)).toBe(s.replace(/^[ \t\r\n]+/, "").replace(/[ \t\r\n]+$/, ""));
      expect(trimConfigSpaceStart(s)).toBe(s.replace(/^[ \t\r\n]+/, ""));
    }
  });

  test("splitListItems splits on commas and ASCII white space", () => {
    for (const s of samples) expect(splitListItems(s)).toEqual(s.split(/[ \t\n\v\f\r,]+/).filter((x) => x !== ""));
    for (const s of samples) expect(splitConfigWords(s)).toEqual(s.split(/[ \t\r\n]+/).filter((x) => x !== ""));
    // unlike \s, a no-break space is part of an item (Postfix splits on ASCII separators only)
    expect(splitListItems("a\u00a0b c")).toEqual(["a\u00a0b", "c"]);
  });

  test("zeroPad is padStart(width, \"0\")", () => {
    for (const s of ["", "7", "12", "ABCDE", "123456789"]) for (const w of [0, 1, 5, 9]) expect(zeroPad(s, w)).toBe(s.padStart(w, "0"));
  });

  test("asciiLower and trimBlanksEnd", () => {
    for (const s of [...samples, "Received:", "X-MAILER \t", "ÀBC Straße"]) {
      expect(asciiLower(s)).toBe(s.replace(/[A-Z]+/g, (m) => m.toLowerCase()));
      expect(trimBlanksEnd(s)).toBe(s.replace(/[ \t]+$/, ""));
    }
  });

  test("controlsToQuestionMarks is Postfix's printable()", () => {
    for (const s of [...samples, "a\x00b\x1fc\x7fd", "\x1b[31mred"]) {
      // eslint-disable-next-line no-control-regex
      expect(controlsToQuestionMarks(s)).toBe(s.replace(/[\x00-\x1f\x7f]/g, "?"));
    }
  });
});

test("unescapeC() decodes C escapes as Postfix's unescape() does", () => {
  expect(unescapeC("\\0")).toBe("\0");
  expect(unescapeC("a\\tb\\nc\\r\\\\")).toBe("a\tb\nc\r\\");
  expect(unescapeC("\\101\\1012")).toBe("AA2");
  expect(unescapeC("\\x41\\q")).toBe("x41q");
  expect(unescapeC("\\777")).toBe("\xff");
  expect(unescapeC("end\\")).toBe("end");
  expect(unescapeC("\\a\\b\\f\\v")).toBe("\x07\b\f\v");
});
