/**
 * input_transp — receive_override_options: which processing a mail-receiving service skips (Postfix's
 * input_transp_mask()).
 *
 *   no_unknown_recipient_checks  smtpd: no reject_unlisted_recipient/sender checks, explicit or implied
 *   no_address_mappings          cleanup: no canonical mapping, masquerading, virtual aliasing or automatic BCC
 *   no_header_body_checks        cleanup: no header_checks, body_checks or character rules
 *   no_milters                   (no Milter support in postkit: accepted and ignored)
 * Typically set with `-o` on a content filter's services. Names are separated by commas and white space and
 * compared with their case; any other name is a configuration error (name_mask.ts).
 */
import { nameMask } from "./name_mask.ts";

/** The names receive_override_options may list. */
const NAMES = ["no_unknown_recipient_checks", "no_address_mappings", "no_header_body_checks", "no_milters"];

/** The names in a receive_override_options value; see the header. */
export function receiveOverrideOptions(value: string): Set<string> {
  return nameMask("receive_override_options", value, NAMES);
}
