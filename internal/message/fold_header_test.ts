/**
 * fold_header_test — rewritten address headers folded as Postfix's cleanup folds them.
 */
import { test, expect } from "bun:test";
import { foldAddressHeader } from "./fold_header.ts";

test("short lists go on one line; a line that would reach 70 characters starts a TAB-indented one", () => {
  expect(foldAddressHeader("To: a@example.test,\nb@example.test")).toBe("To: a@example.test, b@example.test");
  const many = ["To: alice@example.test,", "bob@example.test,", "carol@example.test,", "dave@example.test,", "erin@example.test"].join("\n");
  expect(foldAddressHeader(many)).toBe("To: alice@example.test, bob@example.test, carol@example.test,\n\tdave@example.test, erin@example.test");
  expect(foldAddressHeader("From: x@example.test")).toBe("From: x@example.test");
});
