/**
 * _test_oracle — the text escapes of the MIME golden files in testdata/mime_downgrade/, which Postfix's own
 * mime_state printed through internal/address/testdata/postfix_oracle.c: `\\`, `\n`, `\t`, `\r`, and `\xHH`
 * (two lower-case hex digits) for any other byte below 32 or above 126. Texts are binary strings (one character
 * per byte). Tests only; never imported by the binary.
 */

/** A text as the oracle prints it. */
export function oracleEscape(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) out += "\\\\";
    else if (c === 10) out += "\\n";
    else if (c === 9) out += "\\t";
    else if (c === 13) out += "\\r";
    else if (c < 32 || c >= 127) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += s[i];
  }
  return out;
}

/** The text an oracle line stands for. */
export function oracleUnescape(s: string): string {
  return s.replace(/\\(x[0-9a-f]{2}|.)/g, (_, e: string) =>
    e[0] === "x" ? String.fromCharCode(parseInt(e.slice(1), 16)) : e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e,
  );
}
