/**
 * host_defaults_test — the host-derived values: mydomain from myhostname, and the addresses an inet_interfaces or
 * proxy_interfaces value stands for.
 */
import { test, expect } from "bun:test";
import { networkInterfaces } from "node:os";
import { defaultMydomain, interfaceAddressList } from "./host_defaults.ts";

test("mydomain is myhostname minus its first label, localdomain for a single label", () => {
  expect(defaultMydomain("mail.example.test")).toBe("example.test");
  expect(defaultMydomain("box")).toBe("localdomain");
});

test("interface address lists: all, loopback-only, localhost, and addresses as written (brackets, IPv6: prefix, case)", () => {
  const every = Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address.toLowerCase()));
  expect(interfaceAddressList("all").sort()).toEqual([...new Set(every)].sort());
  expect(interfaceAddressList("loopback-only")).toContain("127.0.0.1");
  expect(interfaceAddressList("loopback-only").every((a) => a.startsWith("127.") || a === "::1")).toBe(true);
  expect(interfaceAddressList("localhost")).toEqual(["127.0.0.1", "::1"]);
  expect(interfaceAddressList("192.0.2.1, [2001:DB8::1] [IPv6:2001:db8::2]")).toEqual(["192.0.2.1", "2001:db8::1", "2001:db8::2"]);
  expect(interfaceAddressList("")).toEqual([]);
});
