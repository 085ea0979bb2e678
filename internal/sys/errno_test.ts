import { expect, test } from "bun:test";
import { errnoCode, errnoText } from "./errno.ts";

test("errnoText() gives glibc's strerror() text for the errno name in `code`", () => {
  const err = (code: string, message = "node text") => Object.assign(new Error(message), { code });
  expect(errnoText(err("ENOENT"))).toBe("No such file or directory");
  expect(errnoText(err("EPERM"))).toBe("Operation not permitted");
  expect(errnoText(err("EACCES"))).toBe("Permission denied");
  expect(errnoText(err("EWOULDBLOCK"))).toBe("Resource temporarily unavailable");
  // unknown names, names that only start like a known one, and values without a code keep their own text
  expect(errnoText(err("EFOO", "foo happened"))).toBe("foo happened");
  expect(errnoText(err("ENOEN", "cut"))).toBe("cut");
  expect(errnoText(err("", "empty"))).toBe("empty");
  expect(errnoText("plain")).toBe("plain");
  expect(errnoCode(err("EIO"))).toBe("EIO");
  expect(errnoCode(null)).toBeUndefined();
});
