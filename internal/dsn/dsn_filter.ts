/**
 * dsn_filter — the delivery status filter of Postfix 3.0 (default_delivery_status_filter and the per-agent
 * smtp_, lmtp_, local_, virtual_ and pipe_delivery_status_filter): before a delivery agent logs and reports a
 * recipient's status, it looks up `X.Y.Z reason text` in the filter's tables, and a value `X.Y.Z new text`
 * replaces the status and the text.
 *
 * Rules (as Postfix's dsn_filter.c, bounce.c, defer.c and sent.c apply them):
 *   - a success (2.x.x) may only become another success; a failure (4.x.x or 5.x.x) another failure, and a
 *     4.x.x may become a 5.x.x and back: the recipient is then bounced instead of deferred, or the other way;
 *   - the value must begin with a valid status code (no leading white space); the text is what follows it, with
 *     its leading white space removed (it may be empty);
 *   - a value that breaks these rules is ignored with the warning `TITLE: bad status code: VALUE`, and the
 *     original status stays;
 *   - a failed table lookup warns `TYPE:NAME lookup error for "KEY"` and the original status stays; an empty
 *     value warns as Postfix's maps do and counts as no match;
 *   - one lookup per status: the result is never filtered again.
 * The filter runs before soft_bounce turns a bounce into a deferral. Postfix's smtp, lmtp, local, virtual and pipe
 * agents apply it; error, retry, discard and the queue manager do not.
 *
 * The filter is process-wide, as in Postfix (bounce_client_init()): a delivery agent's entry point calls
 * initDeliveryStatusFilter() once, and the places where the agent logs a recipient's status call
 * filterDeliveryStatus(). Without a filter, filterDeliveryStatus() returns its input.
 *
 * Contract: DsnFilter.open() throws MapError when a table cannot be opened; lookups never throw.
 */
import { msgWarn } from "../log/msg.ts";
import { openMap, MapError, type LookupTable } from "../maps/index.ts";
import { dsnSplit, dsnValid } from "./dsn_status.ts";
import { mapsFind } from "../resolve/mail_addr_find.ts";

/** A recipient status as an agent is about to report it. */
export interface DeliveryStatus {
  status: "sent" | "deferred" | "bounced";
  /** Enhanced status code, X.Y.Z. */
  dsn: string;
  reason: string;
}

const isSuccess = (s: string) => dsnValid(s) > 0 && s[0] === "2";
const isFailure = (s: string) => dsnValid(s) > 0 && (s[0] === "4" || s[0] === "5");

/** One filter: its title (the parameter name, for warnings) and its tables, searched in order. */
export class DsnFilter {
  constructor(
    readonly title: string,
    private readonly tables: LookupTable[],
  ) {}

  /** Opens the tables of a parameter value (`type:name` list, split on white space and commas). */
  static async open(title: string, specs: string[]): Promise<DsnFilter> {
    const tables: LookupTable[] = [];
    for (const spec of specs) tables.push(await openMap(spec));
    return new DsnFilter(title, tables);
  }

  /** The first table's value for `key`; undefined when none has it or a lookup fails (with a warning). */
  private find(key: string): string | undefined {
    try {
      return mapsFind({ title: this.title, tables: this.tables }, key, false);
    } catch (e) {
      if (!(e instanceof MapError)) throw e;
      return undefined; // mapsFind() has warned
    }
  }

  /** The replacement for `st`, or undefined when no valid replacement is found. */
  lookup(st: DeliveryStatus): DeliveryStatus | undefined {
    const ndr = isFailure(st.dsn);
    if (!ndr && !isSuccess(st.dsn)) return undefined; // nothing an agent reports; leave it alone
    const value = this.find(`${st.dsn} ${st.reason}`);
    if (value === undefined) return undefined;
    if (ndr ? !isFailure(value) : !isSuccess(value)) {
      msgWarn(`${this.title}: bad status code: ${value}`);
      return undefined;
    }
    const { dsn, text } = dsnSplit("4.0.0", value);
    const status = dsn[0] === "4" ? "deferred" : dsn[0] === "5" ? "bounced" : st.status;
    return { status, dsn, reason: text };
  }

  close(): void {
    for (const t of this.tables) t.close();
  }
}

let processFilter: DsnFilter | undefined;

/**
 * Opens this process's filter from a parameter's value (nothing when it is empty). `title` is the parameter's
 * name, as warnings show it.
 */
export async function initDeliveryStatusFilter(title: string, specs: string[]): Promise<void> {
  processFilter?.close();
  processFilter = specs.length > 0 ? await DsnFilter.open(title, specs) : undefined;
}

/** Sets (or, with undefined, removes) this process's filter; for tests and callers that opened one themselves. */
export function setDeliveryStatusFilter(f: DsnFilter | undefined): void {
  processFilter = f;
}

/** The status to log and report: `st` as this process's filter rewrites it, or `st` itself. */
export function filterDeliveryStatus<T extends DeliveryStatus>(st: T): T {
  const r = processFilter?.lookup(st);
  return r ? { ...st, ...r } : st;
}
