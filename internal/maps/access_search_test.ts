import { describe, expect, test } from "bun:test";
import { accessKindOf, accessLookup, accessSearchKeys } from "./access_search.ts";
import { openMap } from "./open_map.ts";

const keys = (q: string, parent: boolean, delim = "+") =>
  accessSearchKeys(q, accessKindOf(q), { parentMatchesSubdomains: parent, recipientDelimiter: delim }).map((k) => k.key);

describe("access(5) search order", () => {
  test.each([
    ["user+foo@sub.example.com", true, ["user+foo@sub.example.com", "user@sub.example.com", "sub.example.com", "example.com", "com", "user+foo@", "user@"]],
    ["user+foo@sub.example.com", false, ["user+foo@sub.example.com", "user@sub.example.com", "sub.example.com", ".example.com", ".com", "user+foo@", "user@"]],
    ["user@example.com", true, ["user@example.com", "example.com", "com", "user@"]],
    ['"odd user"@example.com', true, ['"odd user"@example.com', "odd user@example.com", "example.com", "com", '"odd user"@', "odd user@"]],
    ["mail.example.com", true, ["mail.example.com", "example.com", "com"]],
    ["1.2.3.4", true, ["1.2.3.4", "1.2.3", "1.2", "1"]],
    ["2001:db8::1", true, ["2001:db8::1", "2001:db8:", "2001:db8", "2001"]],
  ] as const)("%s (parent_domain_matches_subdomains %p)", (q, parent, expected) => {
    expect(keys(q, parent)).toEqual([...expected]);
  });

  test("odd local parts are tried quoted first, then as they are", () => {
    expect(keys("odd user@example.com", true)).toEqual(['"odd user"@example.com', "odd user@example.com", "example.com", "com", '"odd user"@', "odd user@"]);
  });

  test("without recipient_delimiter there is no extension to strip", () => {
    expect(keys("user+foo@example.com", true, "")).toEqual(["user+foo@example.com", "example.com", "com", "user+foo@"]);
  });

  test("pattern tables see only the full key; the first table with a key wins", async () => {
    const re = await openMap("inline:{x=y}");
    const pattern = { ...re, type: "regexp", name: "p", fixed: false, lookup: (k: string) => (k === "com" || k.endsWith("@example.com") ? `re:${k}` : undefined) };
    const fixed = await openMap("inline:{example.com=REJECT, user@=OK}");
    const r = accessLookup([pattern, fixed], "other@sub.example.com", "address", { parentMatchesSubdomains: true });
    expect(r.value).toBe("REJECT");
    expect(r.key).toBe("example.com");
    expect(r.steps.map((s) => s.asked.length)).toEqual([2, 1, 1]);
    const full = accessLookup([pattern, fixed], "user@example.com", "address", { parentMatchesSubdomains: true });
    expect(full.value).toBe("re:user@example.com");
    const none = accessLookup([fixed], "x@y.test", "address", { parentMatchesSubdomains: false });
    expect(none.value).toBeUndefined();
    expect(none.steps.map((s) => s.key)).toEqual(["x@y.test", "y.test", ".test", "x@"]);
  });
});
