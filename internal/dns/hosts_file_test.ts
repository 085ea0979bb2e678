import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOSTS_FILES, addressesOfName, filesFirst, nameOfAddress, parseHosts } from "./hosts_file.ts";

const dir = mkdtempSync(join(tmpdir(), "postkit-hosts-"));
const saved = { ...HOSTS_FILES };
afterAll(() => {
  Object.assign(HOSTS_FILES, saved);
  rmSync(dir, { recursive: true, force: true });
});

function files(hosts: string, nsswitch: string): void {
  // new names each time: the cache is keyed by path
  const n = Math.random().toString(36).slice(2);
  HOSTS_FILES.hosts = join(dir, `hosts.${n}`);
  HOSTS_FILES.nsswitch = join(dir, `nsswitch.${n}`);
  writeFileSync(HOSTS_FILES.hosts, hosts);
  writeFileSync(HOSTS_FILES.nsswitch, nsswitch);
}

const HOSTS = "# comment\n127.0.0.1\tlocalhost\n127.0.0.1 runsc vm # trailing\n::1 localhost ip6-localhost\n10.0.0.5 Mail.Example.org mail\n10.0.0.6 mail.example.org\nbogus line\n010.0.0.7 leading-zero\n";

test("parsing: IPv4 lines only, comments and junk skipped", () => {
  expect(parseHosts(HOSTS)).toEqual([
    { address: "127.0.0.1", names: ["localhost"] },
    { address: "127.0.0.1", names: ["runsc", "vm"] },
    { address: "10.0.0.5", names: ["Mail.Example.org", "mail"] },
    { address: "10.0.0.6", names: ["mail.example.org"] },
  ]);
});

test("files first on the hosts: line, as glibc decides; no line means dns first", () => {
  expect(filesFirst("hosts:          files dns\n")).toBe(true);
  expect(filesFirst("hosts: files mdns4_minimal [NOTFOUND=return] dns myhostname\n")).toBe(true);
  expect(filesFirst("hosts: dns files\n")).toBe(false);
  expect(filesFirst("passwd: files\n")).toBe(false);
  expect(filesFirst("# hosts: files\n")).toBe(false);
});

test("an address's name is the first name of the first line with it; a name's addresses come from every line", () => {
  files(HOSTS, "hosts: files dns\n");
  expect(nameOfAddress("127.0.0.1")).toBe("localhost");
  expect(nameOfAddress("10.0.0.5")).toBe("Mail.Example.org");
  expect(nameOfAddress("192.0.2.1")).toBeUndefined(); // not there: the caller asks the resolver
  expect(nameOfAddress("::1")).toBeUndefined(); // IPv6 always goes to the resolver
  expect(addressesOfName("localhost")).toEqual(["127.0.0.1"]);
  expect(addressesOfName("MAIL.example.ORG")).toEqual(["10.0.0.5", "10.0.0.6"]);
  expect(addressesOfName("vm")).toEqual(["127.0.0.1"]);
  expect(addressesOfName("nowhere.example")).toBeUndefined();
});

test("with dns first, or no nsswitch.conf, nothing is answered here", () => {
  files(HOSTS, "hosts: dns files\n");
  expect(nameOfAddress("127.0.0.1")).toBeUndefined();
  expect(addressesOfName("localhost")).toBeUndefined();
  HOSTS_FILES.nsswitch = join(dir, "absent");
  expect(nameOfAddress("127.0.0.1")).toBeUndefined();
});

test("a changed /etc/hosts is read again", () => {
  files(HOSTS, "hosts: files dns\n");
  expect(nameOfAddress("10.0.0.5")).toBe("Mail.Example.org");
  writeFileSync(HOSTS_FILES.hosts, "10.0.0.5 other.example\n");
  expect(nameOfAddress("10.0.0.5")).toBe("other.example");
});

test("IPv4 addresses as inet_pton() takes them", () => {
  files("192.168.1.1 a\n0.0.0.0 b\n255.255.255.255 c\n256.1.1.1 d\n1.2.3 e\n1.2.3.4.5 f\n01.2.3.4 g\n1..2.3 h\n1.2.3.4x i\n", "hosts: files\n");
  expect(["192.168.1.1", "0.0.0.0", "255.255.255.255"].map((a) => nameOfAddress(a))).toEqual(["a", "b", "c"]);
  for (const bad of ["256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3", "1.2.3.4x", ""]) expect(nameOfAddress(bad)).toBeUndefined();
});
