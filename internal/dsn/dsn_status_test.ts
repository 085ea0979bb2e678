/**
 * dsn_status_test — enhanced status codes found as Postfix's dsn_valid(), dsn_split() and dsn_prepend() find them.
 */
import { test, expect } from "bun:test";
import { dsnValid, dsnSplit, dsnPrepend } from "./dsn_status.ts";

test.each([
  ["5.1.1 text", 5],
  ["5.1.1 user", 5],
  ["4.7.12", 6],
  ["4.7.10", 6],
  ["2.0.0\tx", 5],
  ["5.1.1x", 0],
  ["3.1.1 x", 0],
  ["6.1.1 x", 0],
  ["5.1234.1 x", 0],
  ["5.1234.1", 0],
  ["", 0],
])("dsnValid(%p) is %p", (text, n) => {
  expect(dsnValid(text)).toBe(n);
});

test("dsnSplit() takes a leading status or the default, and trims the text", () => {
  expect(dsnSplit("5.7.1", "5.1.1 no such user")).toEqual({ dsn: "5.1.1", text: "no such user" });
  expect(dsnSplit("5.7.1", "go away")).toEqual({ dsn: "5.7.1", text: "go away" });
  expect(dsnSplit("5.0.0", "  4.2.0   later")).toEqual({ dsn: "4.2.0", text: "later" });
  expect(dsnSplit("4.0.0", "5.1.1")).toEqual({ dsn: "5.1.1", text: "" });
});

test("dsnPrepend() puts the status in front of the text", () => {
  expect(dsnPrepend("5.7.1", "no viruses here")).toBe("5.7.1 no viruses here");
  expect(dsnPrepend("5.7.1", "4.7.0 try again later")).toBe("4.7.0 try again later");
  expect(dsnPrepend("5.7.1", "2.0.0 fine")).toBe("2.0.0 fine");
});
