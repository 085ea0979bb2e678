import { test, expect } from "bun:test";

// The reference is glibc's localtime (date(1)), which is what Postfix's log time stamps use. Each case runs in a
// child process, because the zone is read once per process (from TZ).
const zones = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "EST5", ":Europe/Berlin", ""];
const instants = [0, 1_700_000_000, 1_719_800_000, 1_735_689_599, 2_200_000_000];

for (const tz of zones) {
  test(`localTimeParts() agrees with glibc's localtime for TZ=${JSON.stringify(tz)}`, () => {
    const script = `
      import { localTimeParts } from ${JSON.stringify(`${import.meta.dir}/localtime.ts`)};
      for (const t of ${JSON.stringify(instants)}) {
        const p = localTimeParts(new Date(t * 1000));
        console.log([p.month + 1, p.day, p.hours, p.minutes, p.seconds].join(" "));
      }`;
    const env = { ...process.env, TZ: tz };
    const r = Bun.spawnSync({ cmd: [process.execPath, "-e", script], env, stdout: "pipe", stderr: "pipe" });
    const ours = r.stdout.toString().trim().split("\n");
    const theirs = instants.map((t) => {
      const d = Bun.spawnSync({ cmd: ["date", "-d", `@${t}`, "+%-m %-d %-H %-M %-S"], env, stdout: "pipe" });
      return d.stdout.toString().trim();
    });
    expect(ours).toEqual(theirs);
  });
}
