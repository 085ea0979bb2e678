/**
 * inet_listener — the listening TCP sockets of master.cf `inet` services, owned by the master (Postfix's
 * master_listen.c) and handed to the service's process as an inherited descriptor.
 *
 * Service names: `smtp`, `submission`, `2525` (a port number or a name from /etc/services), `host:port`,
 * `[::1]:port`, `[host]:port`. A name without a host listens on inet_interfaces: `all` (0.0.0.0),
 * `loopback-only` (127.0.0.1), `localhost`, or a list of addresses.
 *
 * Why the master: the socket stays open while the smtpd process restarts (reload, crash), so no connection is
 * refused in between, and a privileged port (25) is bound while the master still has root. The child inherits it
 * through spawn()'s stdio array and accepts with net.Server.listen({fd}) (verified on Bun 1.4: two children
 * accepting on one inherited socket share the connections).
 *
 * Contract: openInetListener() throws FatalError with Postfix's wording (`bind 127.0.0.1 port 25: Address already
 * in use`); the descriptor is a blocking-mode socket with SO_REUSEADDR, backlog 511.
 */
import { dlopen, FFIType, ptr, read } from "../sys/ffi.ts";
import { readFileSync } from "node:fs";
import { isIPv4, isIPv6 } from "node:net";
import { FatalError } from "../sys/errors.ts";
import { splitList } from "../config/config.ts";

/** One address to listen on. */
export interface ListenAddress {
  host: string;
  port: number;
}

const WELL_KNOWN: Record<string, number> = { smtp: 25, submission: 587, submissions: 465, smtps: 465, lmtp: 24 };

/** A port number or a name from /etc/services. */
export function servicePort(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    for (const line of readFileSync("/etc/services", "utf8").split("\n")) {
      const f = line.replace(/#.*/, "").trim().split(/\s+/);
      if (f.length < 2) continue;
      const [pp, proto] = f[1]!.split("/");
      if (proto !== "tcp") continue;
      if (f[0] === name || f.slice(2).includes(name)) return Number(pp);
    }
  } catch {
    // no /etc/services: the built-in names only
  }
  return WELL_KNOWN[name];
}

/** The addresses a master.cf inet service name stands for. */
export function parseInetListen(service: string, inetInterfaces: string): ListenAddress[] {
  let host: string | undefined;
  let portName = service;
  const m = /^\[([^\]]*)\]:(.+)$/.exec(service);
  if (m) {
    host = m[1]!;
    portName = m[2]!;
  } else {
    const colon = service.lastIndexOf(":");
    if (colon >= 0) {
      host = service.slice(0, colon);
      portName = service.slice(colon + 1);
    }
  }
  const port = servicePort(portName);
  if (port === undefined || port > 65535) throw new FatalError(`unknown service: ${portName}/tcp`);
  if (host !== undefined && host !== "" && host !== "*") return [{ host: host === "localhost" ? "127.0.0.1" : host, port }];
  const out: ListenAddress[] = [];
  for (const i of splitList(inetInterfaces.toLowerCase())) {
    if (i === "all") return [{ host: "0.0.0.0", port }];
    if (i === "loopback-only" || i === "localhost") out.push({ host: "127.0.0.1", port });
    else out.push({ host: i.replace(/^\[|\]$/g, ""), port });
  }
  return out.length > 0 ? out : [{ host: "0.0.0.0", port }];
}

let lib: ReturnType<typeof load> | undefined;
function load() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    strerror: { args: [FFIType.i32], returns: FFIType.cstring },
    __errno_location: { args: [], returns: FFIType.ptr },
  }).symbols;
}

function errnoText(l: ReturnType<typeof load>): string {
  const e = read.i32(l.__errno_location()!, 0);
  return String(l.strerror(e));
}

/** Creates, binds and listens a TCP socket; returns its descriptor. */
export function openInetListener(a: ListenAddress): number {
  lib ??= load();
  const l = lib;
  const v6 = isIPv6(a.host);
  if (!v6 && !isIPv4(a.host)) throw new FatalError(`bind ${a.host} port ${a.port}: not an IP address`);
  const SOCK_STREAM = 1;
  const fd = l.socket(v6 ? 10 : 2, SOCK_STREAM, 0);
  if (fd < 0) throw new FatalError(`socket: ${errnoText(l)}`);
  const one = new Int32Array([1]);
  l.setsockopt(fd, 1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, ptr(one), 4);
  let sa: Uint8Array;
  if (v6) {
    l.setsockopt(fd, 41 /* IPPROTO_IPV6 */, 26 /* IPV6_V6ONLY */, ptr(one), 4);
    sa = new Uint8Array(28);
    const dv = new DataView(sa.buffer);
    dv.setUint16(0, 10, true);
    dv.setUint16(2, a.port, false);
    const words = expandV6(a.host);
    for (let i = 0; i < 8; i++) dv.setUint16(8 + 2 * i, words[i]!, false);
  } else {
    sa = new Uint8Array(16);
    const dv = new DataView(sa.buffer);
    dv.setUint16(0, 2, true);
    dv.setUint16(2, a.port, false);
    sa.set(a.host.split(".").map(Number), 4);
  }
  if (l.bind(fd, ptr(sa), sa.length) !== 0) {
    const why = errnoText(l);
    l.close(fd);
    throw new FatalError(`bind ${a.host} port ${a.port}: ${why}`);
  }
  if (l.listen(fd, 511) !== 0) {
    const why = errnoText(l);
    l.close(fd);
    throw new FatalError(`listen ${a.host} port ${a.port}: ${why}`);
  }
  return fd;
}

/** Closes a listener descriptor. */
export function closeInetListener(fd: number): void {
  lib ??= load();
  lib.close(fd);
}

function expandV6(s: string): number[] {
  const [l, r] = s.includes("::") ? s.split("::") : [s, undefined];
  const lw = l ? l.split(":").filter(Boolean).map((x) => Number.parseInt(x, 16)) : [];
  const rw = r ? r.split(":").filter(Boolean).map((x) => Number.parseInt(x, 16)) : [];
  if (r === undefined) return lw;
  return [...lw, ...new Array(8 - lw.length - rw.length).fill(0), ...rw];
}
