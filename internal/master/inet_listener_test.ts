import { test, expect } from "bun:test";
import net from "node:net";
import { parseInetListen, servicePort, openInetListener } from "./inet_listener.ts";

test("parseInetListen() reads master.cf inet service names as Postfix does", () => {
  expect(parseInetListen("smtp", "all")).toEqual([{ host: "0.0.0.0", port: 25 }]);
  expect(parseInetListen("submission", "loopback-only")).toEqual([{ host: "127.0.0.1", port: 587 }]);
  expect(parseInetListen("127.0.0.2:2525", "all")).toEqual([{ host: "127.0.0.2", port: 2525 }]);
  expect(parseInetListen("[::1]:2525", "all")).toEqual([{ host: "::1", port: 2525 }]);
  expect(parseInetListen("2525", "127.0.0.1, 127.0.0.2")).toEqual([{ host: "127.0.0.1", port: 2525 }, { host: "127.0.0.2", port: 2525 }]);
  expect(() => parseInetListen("nosuchservice", "all")).toThrow("unknown service: nosuchservice/tcp");
  expect(servicePort("smtp")).toBe(25);
});

test("openInetListener() gives a listening descriptor a server can accept on; a busy port is Postfix's fatal bind error", async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  const port = (probe.address() as net.AddressInfo).port;
  expect(() => openInetListener({ host: "127.0.0.1", port })).toThrow(`bind 127.0.0.1 port ${port}: Address already in use`);
  probe.close();
  await Bun.sleep(10);
  const fd = openInetListener({ host: "127.0.0.1", port });
  const server = net.createServer((s) => s.end("hello\n"));
  await new Promise<void>((r) => server.listen({ fd }, () => r()));
  const got = await new Promise<string>((resolve) => {
    const c = net.connect(port, "127.0.0.1");
    c.on("data", (d) => resolve(d.toString()));
  });
  expect(got).toBe("hello\n");
  server.close(); // the server owns the descriptor now
});
