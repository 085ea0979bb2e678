/**
 * dead_sites_test — Postfix's concurrency feedback for dead destinations: how many site failures kill a
 * destination with the defaults and with `1/concurrency` feedback, the suspended reason, the dead time, revival
 * by a delivery, by the clock and by forgetAll(), and the feedback parameter syntax.
 */
import { test, expect } from "bun:test";
import { DeadSites, parseFeedback, type FeedbackSettings } from "./dead_sites.ts";

const DEFAULTS: FeedbackSettings = { initial: 5, limit: 20, failedCohortLimit: 1, positive: { base: 1, perWindow: false }, negative: { base: 1, perWindow: false }, deadTime: 300 };
const WHY = "connect to mx.example[192.0.2.1]:25: Connection refused";

function failuresToDie(settings: FeedbackSettings): number {
  const sites = new DeadSites(() => settings);
  for (let n = 1; n <= 100; n++) if (sites.failed("smtp", "example.com", "4.4.1", WHY, 1000)) return n;
  return -1;
}

test("with Postfix's defaults the third site failure in a row kills a destination; with 1/concurrency feedback the fifth", () => {
  expect(failuresToDie(DEFAULTS)).toBe(3);
  expect(failuresToDie({ ...DEFAULTS, negative: { base: 1, perWindow: true } })).toBe(5);
  expect(failuresToDie({ ...DEFAULTS, failedCohortLimit: 0 })).toBe(-1);
});

test("a dead destination gives the suspended reason until minimal_backoff_time has passed; other destinations are alive", () => {
  const sites = new DeadSites(() => DEFAULTS);
  for (let i = 0; i < 3; i++) sites.failed("smtp", "example.com", "4.4.1", WHY, 1000);
  expect(sites.dead("smtp", "example.com", 1000)).toEqual({ dsn: "4.4.1", reason: `delivery temporarily suspended: ${WHY}` });
  expect(sites.dead("smtp", "example.com", 1299)).toBeDefined();
  expect(sites.dead("smtp", "other.example", 1000)).toBeUndefined();
  expect(sites.dead("relay", "example.com", 1000)).toBeUndefined();
  expect(sites.dead("smtp", "example.com", 1300)).toBeUndefined();
  // back at the initial window: three failures again
  expect(sites.failed("smtp", "example.com", "4.4.1", WHY, 1300)).toBe(false);
  expect(sites.failed("smtp", "example.com", "4.4.1", WHY, 1300)).toBe(false);
  expect(sites.failed("smtp", "example.com", "4.4.1", WHY, 1300)).toBe(true);
});

test("a delivery that reaches the site, or forgetAll() (postqueue -f), brings the destination back", () => {
  const sites = new DeadSites(() => DEFAULTS);
  for (let i = 0; i < 3; i++) sites.failed("smtp", "a.example", "4.4.1", WHY, 1000);
  for (let i = 0; i < 3; i++) sites.failed("smtp", "b.example", "4.4.1", WHY, 1000);
  sites.succeeded("smtp", "a.example");
  expect(sites.dead("smtp", "a.example", 1001)).toBeUndefined();
  expect(sites.dead("smtp", "b.example", 1001)).toBeDefined();
  sites.forgetAll();
  expect(sites.dead("smtp", "b.example", 1001)).toBeUndefined();
  // a success between failures clears the failed cohorts
  sites.failed("smtp", "c.example", "4.4.1", WHY, 1000);
  sites.failed("smtp", "c.example", "4.4.1", WHY, 1000);
  sites.succeeded("smtp", "c.example");
  expect(sites.failed("smtp", "c.example", "4.4.1", WHY, 1000)).toBe(false);
});

test("feedback values: N, N/M and N/concurrency", () => {
  expect(parseFeedback("1")).toEqual({ base: 1, perWindow: false });
  expect(parseFeedback("1/concurrency")).toEqual({ base: 1, perWindow: true });
  expect(parseFeedback(" 0.5 / concurrency ")).toEqual({ base: 0.5, perWindow: true });
  expect(parseFeedback("1/4")).toEqual({ base: 0.25, perWindow: false });
  expect(parseFeedback("1/0")).toBeUndefined();
  expect(parseFeedback("one")).toBeUndefined();
  expect(parseFeedback("")).toBeUndefined();
});
