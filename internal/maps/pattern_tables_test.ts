import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openMap } from "./open_map.ts";
import { MapError } from "./map_error.ts";
import { captureWarnings, withTempDir } from "./_test_util.ts";

async function table(type: string, text: string) {
  return withTempDir(async (dir) => {
    const p = join(dir, "t");
    writeFileSync(p, text);
    let t: Awaited<ReturnType<typeof openMap>> | undefined;
    const warnings = await captureWarnings(async () => {
      t = await openMap(`${type}:${p}`);
    });
    return { t: t!, warnings: warnings.map((w) => w.replace(p, "FILE")) };
  });
}

const REGEXP = `/^(.*)@example\\.com$/	user=$1
/^FOO$/	foo-ci
/^bar$/i	bar-cs
/^([a-z]+)-([0-9]+)$/	\${2}-$1 $$ $(1)
/^[[:upper:]]+x\\[$/	bracket
IF /^if/
/^ifa$/	in-if
ENDIF
/^neg(.*)/!/negx/	negative
!/./	empty
/^(a)|(b)$/	alt $1 $2
/a(b/	broken
/^z(.)$/	$2
/^y$/	$1x
/q/ extra
endif
`;

describe("regexp tables (POSIX, through the C library)", () => {
  test.each([
    ["user@example.com", "user=user"],
    ["FOO", "foo-ci"],
    ["foo", "foo-ci"],
    ["bar", "bar-cs"],
    ["BAR", undefined],
    ["abc-12", "12-abc $ abc"],
    ["ABCx[", "bracket"],
    ["ifa", "in-if"],
    ["ifb", "alt  b"],
    ["negy", "negative"],
    ["negx", undefined],
    ["", "empty"],
    ["b", "alt  b"],
  ])("%p → %p", async (key, value) => {
    const { t } = await table("regexp", REGEXP);
    expect(t.lookup(key)).toBe(value);
    expect(t.fixed).toBe(false);
  });

  test("bad rules are skipped with Postfix's warnings", async () => {
    const { warnings } = await table("regexp", REGEXP);
    expect(warnings).toEqual([
      "regexp map FILE, line 12: Unmatched ( or \\(",
      'regexp map FILE, line 13: out of range replacement index "2": skipping this rule',
      'regexp map FILE, line 14: non-numeric replacement index "1x"',
      "regexp map FILE, line 14: bad replacement syntax: skipping this rule",
      "regexp map FILE, line 16: ignoring ENDIF without matching IF",
    ]);
  });

  test("a regexp table cannot be listed", async () => {
    const { t } = await table("regexp", REGEXP);
    expect(() => t.entries()).toThrow(MapError);
  });

  test("a missing file is a temporary open error", async () => {
    const e = await openMap("regexp:/nonexistent/file").catch((x) => x);
    expect(e).toBeInstanceOf(MapError);
    expect(e.code).toBe("open");
    expect(e.temporary).toBe(true);
    expect(e.message).toBe("open /nonexistent/file: No such file or directory");
  });
});

describe("pcre tables", () => {
  test("flags, negation, IF blocks and refused constructs", async () => {
    const { t, warnings } = await table("pcre", "/^a.b$/\tdotall\n/^(\\w+)@x$/\tuser=$1\nif !/^skip/\n/^k/\tk\nendif\n/^rec(?R)$/\trec\n/^q/Z\tbad\n");
    expect(t.lookup("a\nb")).toBe("dotall");
    expect(t.lookup("joe@x")).toBe("user=joe");
    expect(t.lookup("kk")).toBe("k");
    expect(t.lookup("skipk")).toBeUndefined();
    expect(warnings).toEqual([
      "pcre map FILE, line 6: error in regex at offset 4: recursion or a subroutine call is not supported (no JavaScript equivalent)",
      'pcre map FILE, line 7: unknown regexp option "Z": skipping this rule',
    ]);
  });
});

describe("cidr tables", () => {
  const CIDR = `192.168.1.0/24	lan
192.168.1.5	host
2001:db8::/32	v6doc
[::1]	v6lo
1.2.3.4/24	badbits
if 172.16.0.0/12
172.16.5.5	in-if
endif
!10.0.0.0/8	notten
`;
  test.each([
    ["192.168.1.5", "lan"],
    ["192.168.1.77", "lan"],
    ["10.1.2.3", undefined],
    ["11.1.1.1", "notten"],
    ["2001:db8::1", "v6doc"],
    ["::1", "v6lo"],
    ["172.16.5.5", "in-if"],
    ["not-an-address", undefined],
    ["01.2.3.4", undefined],
  ])("%p → %p", async (key, value) => {
    const { t } = await table("cidr", CIDR);
    expect(t.lookup(key)).toBe(value);
  });

  test("bad patterns are skipped with Postfix's warnings", async () => {
    const { warnings } = await table("cidr", CIDR);
    expect(warnings).toEqual([
      'cidr map FILE, line 5: non-null host address bits in "1.2.3.4/24", perhaps you should use "1.2.3.0/24" instead: skipping this rule',
    ]);
  });
});
