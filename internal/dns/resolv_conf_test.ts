/** resolv.conf parsing as glibc reads it: servers, options, limits, defaults. */
import { test, expect } from "bun:test";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { parseResolvConf, parseNameServer, readResolvConf, defaultResolverOptions } from "./resolv_conf.ts";

const cases: { label: string; text: string; want: Partial<ReturnType<typeof parseResolvConf>> }[] = [
  { label: "empty file: 127.0.0.1, 5 s, 2 attempts", text: "", want: defaultResolverOptions() },
  {
    label: "nameservers in order, at most three, comments skipped",
    text: "# c\n; c\nnameserver 10.0.0.1\nnameserver ::1\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n",
    want: { nameservers: [{ address: "10.0.0.1", port: 53 }, { address: "::1", port: 53 }, { address: "10.0.0.3", port: 53 }] },
  },
  { label: "an unparsable address is skipped", text: "nameserver bogus\nnameserver 10.0.0.9\n", want: { nameservers: [{ address: "10.0.0.9", port: 53 }] } },
  { label: "bracketed address with a port (postkit extension)", text: "nameserver [127.0.0.1]:5353\n", want: { nameservers: [{ address: "127.0.0.1", port: 5353 }] } },
  { label: "timeout and attempts", text: "options timeout:1 attempts:3\n", want: { timeoutMs: 1000, attempts: 3 } },
  { label: "timeout and attempts are clamped as glibc does", text: "options timeout:99 attempts:9\n", want: { timeoutMs: 30000, attempts: 5 } },
  { label: "zero becomes the minimum", text: "options timeout:0 attempts:0\n", want: { timeoutMs: 1000, attempts: 1 } },
  { label: "later options win; rotate, use-vc, edns0", text: "options timeout:2\noptions timeout:3 rotate use-vc edns0\n", want: { timeoutMs: 3000, rotate: true, useTcp: true, edns0: true } },
  { label: "search and domain are ignored", text: "search a.test b.test\ndomain c.test\n", want: { nameservers: [{ address: "127.0.0.1", port: 53 }] } },
];

for (const c of cases) {
  test(`parseResolvConf(): ${c.label}`, () => {
    expect(parseResolvConf(c.text)).toMatchObject(c.want);
  });
}

test("parseNameServer() refuses ports out of range and names", () => {
  expect(parseNameServer("[127.0.0.1]:0")).toBeUndefined();
  expect(parseNameServer("[127.0.0.1]:70000")).toBeUndefined();
  expect(parseNameServer("ns.example")).toBeUndefined();
  expect(parseNameServer("fe80::1%eth0")).toEqual({ address: "fe80::1%eth0", port: 53 });
});

test("readResolvConf() gives the defaults for a missing file and reads an existing one", () => {
  const dir = mkdtempSync(join(tmpdir(), "postkit-resolv-"));
  try {
    expect(readResolvConf(join(dir, "missing"))).toEqual(defaultResolverOptions());
    writeFileSync(join(dir, "resolv.conf"), "nameserver 192.0.2.1\n");
    expect(readResolvConf(join(dir, "resolv.conf")).nameservers).toEqual([{ address: "192.0.2.1", port: 53 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
