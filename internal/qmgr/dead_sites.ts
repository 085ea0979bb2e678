/**
 * dead_sites — which destinations the queue manager stays away from for a while, by Postfix 3.7's concurrency
 * feedback: a destination (transport and next hop) whose deliveries keep failing for the site as a whole (the
 * SMTP/LMTP client could not reach or talk to any server: DeliveryReply.siteFailure) is declared dead after
 * `<transport>_destination_concurrency_failed_cohort_limit` pseudo-cohort failures, and for minimal_backoff_time
 * every recipient for it is deferred at once, without a delivery attempt, with the reason
 * `delivery temporarily suspended: <why the site failed>` — what Postfix's retry service logs and mailq shows.
 *
 * The arithmetic is Postfix's (qmgr_queue.c): each destination has a concurrency window, starting at
 * `<transport>_initial_destination_concurrency`. A site failure adds 1/window to the failed cohorts — dead when they
 * reach the limit — and applies the negative feedback (`…_negative_feedback`, a number or `N/concurrency`, with a
 * hysteresis of 1) to the window, never below 1; a delivery without a site failure clears the failed cohorts and
 * applies the positive feedback, up to `<transport>_destination_concurrency_limit`, or brings a dead destination
 * back (window: the initial concurrency). A dead destination comes back by itself after minimal_backoff_time, and
 * at once when asked to forget (`postqueue -f`, the `F` request). With Postfix's defaults (initial concurrency 5,
 * both feedbacks 1, cohort limit 1) the third site failure in a row kills a destination.
 *
 * Only the life and death of destinations is modelled here: the queue manager's concurrency per destination stays
 * `<transport>_destination_concurrency_limit` (qmgr.ts), where Postfix's grows and shrinks with the window. A
 * destination's state is kept from its first site failure until it is healthy again (back at its initial window),
 * so memory follows the failing destinations only; one that never failed starts at the initial window, as a
 * queue Postfix creates for new work does.
 *
 *   const sites = new DeadSites((transport) => feedbackSettings(cfg, transport, minBackoff));
 *   sites.dead(t, hop, now)         // the reason to defer with, or undefined
 *   sites.failed(t, hop, dsn, why, now); sites.succeeded(t, hop); sites.forgetAll();
 */
import type { Config } from "../config/config.ts";

/** A feedback amount: `base`, or `base / window` when `perWindow` (Postfix's `N/concurrency`). */
export interface Feedback {
  base: number;
  perWindow: boolean;
}

/** One transport's feedback parameters. */
export interface FeedbackSettings {
  initial: number;
  /** 0: no limit. */
  limit: number;
  /** 0: never declared dead. */
  failedCohortLimit: number;
  positive: Feedback;
  negative: Feedback;
  /** Seconds a dead destination stays dead (minimal_backoff_time). */
  deadTime: number;
}

/** Parses a feedback parameter: `N`, `N/M` or `N/concurrency`; undefined when it is none of these. */
export function parseFeedback(text: string): Feedback | undefined {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:\/\s*(concurrency|\d+(?:\.\d*)?))?\s*$/.exec(text);
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2] === "concurrency") return { base, perWindow: true };
  if (m[2] !== undefined) {
    const d = Number(m[2]);
    return d > 0 ? { base: base / d, perWindow: false } : undefined;
  }
  return { base, perWindow: false };
}

/** The feedback settings of `transport` from main.cf and master.cf (per-transport parameters, then the defaults). */
export function feedbackSettings(cfg: Config, transport: string, deadTime: number, warn: (text: string) => void = () => {}): FeedbackSettings {
  const feedback = (kind: "positive" | "negative"): Feedback => {
    const name = `${transport}_destination_concurrency_${kind}_feedback`;
    const f = parseFeedback(cfg.get(name));
    if (f === undefined) warn(`bad ${name} value: ${cfg.get(name)}; using 1`);
    return f ?? { base: 1, perWindow: false };
  };
  return {
    initial: Math.max(1, cfg.getInt(`${transport}_initial_destination_concurrency`)),
    limit: Math.max(0, cfg.getInt(`${transport}_destination_concurrency_limit`)),
    failedCohortLimit: Math.max(0, cfg.getInt(`${transport}_destination_concurrency_failed_cohort_limit`)),
    positive: feedback("positive"),
    negative: feedback("negative"),
    deadTime,
  };
}

interface Site {
  /** The transport's initial destination concurrency: the window of a new or revived destination. */
  initial: number;
  window: number;
  success: number;
  failure: number;
  failCohorts: number;
  dead?: { dsn: string; reason: string; until: number };
}

const feedbackValue = (f: Feedback, window: number) => (f.perWindow ? f.base / window : f.base);
const siteKey = (transport: string, nexthop: string) => `${transport}\0${nexthop}`;

/** The destinations' feedback state; see the header. */
export class DeadSites {
  private readonly sites = new Map<string, Site>();
  private readonly settings = new Map<string, FeedbackSettings>();

  constructor(private readonly settingsFor: (transport: string) => FeedbackSettings) {}

  private config(transport: string): FeedbackSettings {
    let s = this.settings.get(transport);
    if (s === undefined) this.settings.set(transport, (s = this.settingsFor(transport)));
    return s;
  }

  private site(transport: string, nexthop: string): Site {
    const key = siteKey(transport, nexthop);
    let site = this.sites.get(key);
    if (site === undefined) {
      const initial = this.config(transport).initial;
      this.sites.set(key, (site = { initial, window: initial, success: 0, failure: 0, failCohorts: 0 }));
    }
    return site;
  }

  /** Why the destination is dead (the reason already says `delivery temporarily suspended: `), or undefined. */
  dead(transport: string, nexthop: string, now: number): { dsn: string; reason: string } | undefined {
    const key = siteKey(transport, nexthop);
    const site = this.sites.get(key);
    if (site?.dead === undefined) return undefined;
    if (now >= site.dead.until) {
      this.revive(key, site);
      return undefined;
    }
    return { dsn: site.dead.dsn, reason: site.dead.reason };
  }

  /** A delivery failed for the whole site; true when that made the destination dead. */
  failed(transport: string, nexthop: string, dsn: string, reason: string, now: number): boolean {
    const cfg = this.config(transport);
    const site = this.site(transport, nexthop);
    if (site.dead !== undefined) return false;
    site.failCohorts += 1 / site.window;
    if (cfg.failedCohortLimit > 0 && site.failCohorts >= cfg.failedCohortLimit) {
      site.dead = { dsn, reason: `delivery temporarily suspended: ${reason}`, until: now + cfg.deadTime };
      return true;
    }
    const feedback = feedbackValue(cfg.negative, site.window);
    site.failure -= feedback;
    while (site.failure - feedback / 2 < 0) {
      site.window -= 1;
      site.success = 0;
      site.failure += 1;
    }
    if (site.window < 1) site.window = 1;
    return false;
  }

  /** A delivery reached the site (whatever became of the recipients); `busy`: deliveries to it in progress. */
  succeeded(transport: string, nexthop: string, busy = 0): void {
    const key = siteKey(transport, nexthop);
    const site = this.sites.get(key);
    if (site === undefined) return; // never failed: the initial state, nothing to record
    const cfg = this.config(transport);
    site.failCohorts = 0;
    if (site.dead !== undefined) {
      this.revive(key, site, busy);
      return;
    }
    if ((cfg.limit === 0 || cfg.limit > site.window) && site.window < busy + cfg.initial) {
      const feedback = feedbackValue(cfg.positive, site.window);
      site.success += feedback;
      while (site.success + feedback / 2 >= 1) {
        site.window += 1;
        site.success -= 1;
        site.failure = 0;
      }
      if (cfg.limit > 0 && site.window > cfg.limit) site.window = cfg.limit;
    }
    if (site.window >= site.initial) this.sites.delete(key);
  }

  /** Brings every dead destination back (postqueue -f). */
  forgetAll(): void {
    for (const [key, site] of this.sites) if (site.dead !== undefined) this.revive(key, site);
  }

  /** Back from the dead: at `busy` concurrency when deliveries are in progress, else as new (forgotten). */
  private revive(key: string, site: Site, busy = 0): void {
    if (busy === 0) {
      this.sites.delete(key);
      return;
    }
    site.dead = undefined;
    site.window = busy;
    site.success = site.failure = site.failCohorts = 0;
  }
}
