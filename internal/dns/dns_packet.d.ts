/**
 * dns_packet.d.ts — the parts of the `dns-packet` package (DNS wire format) that postkit uses, typed: encoding a
 * message and decoding a (possibly compressed) domain name at an offset. The package ships no types.
 */
declare module "dns-packet" {
  export interface Question {
    type: string;
    name: string;
    class?: string;
  }
  export interface Record {
    type: string;
    name: string;
    ttl?: number;
    class?: string;
    data?: unknown;
    udpPayloadSize?: number;
  }
  export interface Packet {
    type: "query" | "response";
    id: number;
    flags: number;
    questions: Question[];
    answers?: Record[];
    authorities?: Record[];
    additionals?: Record[];
  }
  export const RECURSION_DESIRED: number;
  export const RECURSION_AVAILABLE: number;
  export const TRUNCATED_RESPONSE: number;
  export function encode(packet: Packet): Buffer;
  /** Decodes the name at `offset`; `name.decode.bytes` is then what it consumed. Throws on a malformed name. */
  export const name: { decode: ((buf: Buffer, offset: number) => string) & { bytes: number } };
}
