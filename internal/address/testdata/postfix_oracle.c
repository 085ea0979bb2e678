/*
 * postfix_oracle - a development aid, not part of postkit: it feeds text to Debian's own Postfix 3.7 libraries
 * (tok822, quote_822_local, quote_821_local, strip_addr, split_addr, valid_hostname, valid_mailhost_addr,
 * is_header, header_opts, mail_date, mime_state) so that the expected values in the *_test.ts tables of
 * internal/address and internal/message are what Postfix itself does. It contains no Postfix code.
 *
 * Build (Debian 12 with postfix installed; headers from the matching source tag):
 *   git -C vdukhovni/postfix archive v3.7.11 postfix | tar -x -C /tmp/pf37
 *   cd /tmp/pf37/postfix && make makefiles CCARGS='-DNO_DB -DDEF_DB_TYPE=\"cdb\" -DDEF_CACHE_DB_TYPE=\"cdb\" -DNO_NIS -DNO_PCRE -DNO_LMDB -DNO_NISPLUS'
 *   (cd src/util && make update) && (cd src/global && make update)
 *   gcc -O -I/tmp/pf37/postfix/include -DLINUX6 -o postfix_oracle postfix_oracle.c \
 *       /usr/lib/postfix/libpostfix-global.so /usr/lib/postfix/libpostfix-util.so -Wl,-rpath,/usr/lib/postfix
 *
 * Input: one command per line, fields separated by TAB, text with \n \t \r \\ \xHH escapes:
 *   parse TEXT [LIMIT] | scan TEXT [LIMIT] | quote TEXT [FLAGS] | quote821 TEXT [FLAGS] | unquote TEXT
 *   strip DELIMS ADDR | split DELIMS LOCALPART [OWNREQ] | hostname NAME [w] | hostaddr ADDR | literal TEXT
 *   mailhost ADDR | isheader LINE | date EPOCH (uses $TZ) | mimebegin [LIMIT], rec N|L TEXT ..., mimeend
 *   mimebegin2 [LIMIT [DEPTH [BOUNDLEN [NOMIME]]]], rec ..., mimeend
 *   mimedown [DEPTH], rec ..., mimeend | mimestrict, rec ..., mimeend
 * Output: "== command", then the results (escaped the same way); warnings appear as "oracle: warning: ...".
 *
 * mimebegin runs mime_state with MIME_OPT_DISABLE_MIME (primary headers only) and prints "H CLASS NAME TEXT" per
 * header, HEAD_END, "B N|L TEXT" per body record, "ERR CODE TEXT" (60 bytes at most) per reported error.
 * mimebegin2 runs it with MIME processing on, as cleanup does by default (header_size_limit LIMIT,
 * mime_nesting_limit DEPTH default 100, mime_boundary_length_limit BOUNDLEN default 2048; MIME_OPT_REPORT_TRUNC_HEADER
 * and MIME_OPT_REPORT_NESTING): CLASS is 1 primary, 2 multipart, 3 nested; body lines are "B N|L OFFSET TEXT" with
 * body_out's offset argument; ERR text is complete. NOMIME 1 adds MIME_OPT_DISABLE_MIME (to see the offsets
 * cleanup gets with disable_mime_input_processing = yes).
 * mimedown runs it as the SMTP client does before it sends 8-bit mail to a server without 8BITMIME
 * (MIME_OPT_DOWNGRADE | MIME_OPT_REPORT_NESTING) and prints what mimebegin2 prints. mimestrict runs it as cleanup
 * does with strict_8bitmime = yes and strict_mime_encoding_domain = yes (the 8-bit and encoding-domain reports).
 */
#include <sys_defs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <time.h>
#include <vstring.h>
#include <vstream.h>
#include <msg.h>
#include <msg_vstream.h>
#include <valid_hostname.h>
#include <mail_params.h>
#include <tok822.h>
#include <quote_822_local.h>
#include <quote_821_local.h>
#include <strip_addr.h>
#include <split_addr.h>
#include <valid_mailhost_addr.h>
#include <is_header.h>
#include <header_opts.h>
#include <mail_date.h>
#include <mime_state.h>
#include <rec_type.h>

static char *unesc(const char *s, size_t *lenp) {
    char *out = malloc(strlen(s) + 1), *o = out;
    while (*s) {
        if (*s == '\\' && s[1]) {
            s++;
            switch (*s) {
            case 'n': *o++ = '\n'; s++; break;
            case 't': *o++ = '\t'; s++; break;
            case 'r': *o++ = '\r'; s++; break;
            case '\\': *o++ = '\\'; s++; break;
            case 'x': { unsigned v; sscanf(s + 1, "%2x", &v); *o++ = (char) v; s += 3; break; }
            default: *o++ = '\\'; break;
            }
        } else *o++ = *s++;
    }
    *o = 0;
    if (lenp) *lenp = o - out;
    return out;
}

static void esc(const char *s, ssize_t len) {
    const unsigned char *p = (const unsigned char *) s;
    if (len < 0) len = strlen(s);
    for (ssize_t i = 0; i < len; i++) {
        unsigned c = p[i];
        if (c == '\\') vstream_printf("\\\\");
        else if (c == '\n') vstream_printf("\\n");
        else if (c == '\t') vstream_printf("\\t");
        else if (c == '\r') vstream_printf("\\r");
        else if (c < 32 || c >= 127) vstream_printf("\\x%02x", c);
        else VSTREAM_PUTC(c, VSTREAM_OUT);
    }
}

static void print_tree(TOK822 *list, int indent) {
    for (TOK822 *tp = list; tp; tp = tp->next) {
        vstream_printf("%*s", indent, "");
        if (tp->type < TOK822_MINTOK) vstream_printf("op %c\n", tp->type);
        else if (tp->type == TOK822_ADDR) { vstream_printf("address\n"); print_tree(tp->head, indent + 2); }
        else if (tp->type == TOK822_STARTGRP) vstream_printf("group\n");
        else {
            vstream_printf("%s ", tp->type == TOK822_COMMENT ? "comment" : tp->type == TOK822_ATOM ? "atom" :
                           tp->type == TOK822_QSTRING ? "qstring" : tp->type == TOK822_DOMLIT ? "domlit" : "unknown");
            esc(vstring_str(tp->vstr), -1);
            vstream_printf("\n");
        }
    }
}

static MIME_STATE *mime;
static int mime_full;                   /* mimebegin2: MIME on, print class and offsets */

static void m_head_out(void *ctx, int class, const HEADER_OPTS *info, VSTRING *buf, off_t off) {
    vstream_printf("H %d %s ", class, info ? info->name : "-");
    esc(vstring_str(buf), VSTRING_LEN(buf));
    vstream_printf("\n");
}
static void m_head_end(void *ctx) { vstream_printf("HEAD_END\n"); }
static void m_body_out(void *ctx, int rec_type, const char *buf, ssize_t len, off_t off) {
    if (mime_full) vstream_printf("B %c %ld ", rec_type, (long) off);
    else vstream_printf("B %c ", rec_type);
    esc(buf, len);
    vstream_printf("\n");
}
static void m_body_end(void *ctx) { vstream_printf("BODY_END\n"); }
static void m_err(void *ctx, int err, const char *text, ssize_t len) {
    vstream_printf("ERR %d ", err);
    esc(text, len > 60 && !mime_full ? 60 : len);
    vstream_printf("\n");
}

int main(int argc, char **argv) {
    char line[1 << 20];
    VSTRING *a = vstring_alloc(100), *b = vstring_alloc(100);
    msg_vstream_init("oracle", VSTREAM_OUT);
    var_double_bounce_sender = "double-bounce";
    var_ownreq_special = 1;
    var_header_limit = 102400;
    var_drop_hdrs = "bcc, content-length, resent-bcc, return-path";
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\n")] = 0;
        char *f[8]; int n = 0; char *p = line;
        f[n++] = p;
        while (n < 8 && (p = strchr(p, '\t'))) { *p++ = 0; f[n++] = p; }
        char *cmd = f[0];
        vstream_printf("== %s\n", cmd);
        if (!strcmp(cmd, "parse")) {
            char *in = unesc(f[1], 0);
            int limit = n > 2 ? atoi(f[2]) : 0;
            TOK822 *tree = tok822_parse_limit(in, limit);
            print_tree(tree, 0);
            vstream_printf("int "); esc(vstring_str(tok822_internalize(a, tree, TOK822_STR_DEFL)), -1); vstream_printf("\n");
            vstream_fflush(VSTREAM_OUT);
            vstream_printf("ext "); esc(vstring_str(tok822_externalize(a, tree, TOK822_STR_DEFL)), -1); vstream_printf("\n");
            vstream_fflush(VSTREAM_OUT);
            VSTRING_RESET(a);
            vstream_printf("head "); esc(vstring_str(tok822_externalize(a, tree, TOK822_STR_HEAD)), -1); vstream_printf("\n");
            TOK822 **list = tok822_grep(tree, TOK822_ADDR);
            for (TOK822 **tpp = list; *tpp; tpp++) {
                vstream_printf("addr ");
                esc(vstring_str(tok822_internalize(a, tpp[0]->head, TOK822_STR_DEFL)), -1);
                vstream_printf(" | ");
                esc(vstring_str(tok822_externalize(b, tpp[0]->head, TOK822_STR_DEFL)), -1);
                vstream_printf("\n");
            }
            tok822_free_tree(tree);
        } else if (!strcmp(cmd, "scan")) {
            char *in = unesc(f[1], 0);
            TOK822 *tail;
            TOK822 *t = tok822_scan_limit(in, &tail, n > 2 ? atoi(f[2]) : 0);
            print_tree(t, 0);
            vstream_printf("ext "); esc(vstring_str(tok822_externalize(a, t, TOK822_STR_DEFL)), -1); vstream_printf("\n");
        } else if (!strcmp(cmd, "quote")) {
            quote_822_local_flags(a, unesc(f[1], 0), n > 2 ? atoi(f[2]) : QUOTE_FLAG_8BITCLEAN);
            esc(vstring_str(a), -1); vstream_printf("\n");
        } else if (!strcmp(cmd, "quote821")) {
            quote_821_local_flags(a, unesc(f[1], 0), n > 2 ? atoi(f[2]) : QUOTE_FLAG_8BITCLEAN);
            esc(vstring_str(a), -1); vstream_printf("\n");
        } else if (!strcmp(cmd, "unquote")) {
            unquote_822_local(a, unesc(f[1], 0));
            esc(vstring_str(a), -1); vstream_printf("\n");
        } else if (!strcmp(cmd, "strip")) {
            char *ext = 0;
            char *r = strip_addr_internal(unesc(f[2], 0), &ext, unesc(f[1], 0));
            esc(r ? r : "(null)", -1); vstream_printf(" | "); esc(ext ? ext : "(null)", -1); vstream_printf("\n");
        } else if (!strcmp(cmd, "split")) {
            var_ownreq_special = n > 3 ? atoi(f[3]) : 1;
            char *lp = unesc(f[2], 0);
            char *r = split_addr_internal(lp, unesc(f[1], 0));
            esc(lp, -1); vstream_printf(" | "); esc(r ? r : "(null)", -1); vstream_printf("\n");
            var_ownreq_special = 1;
        } else if (!strcmp(cmd, "hostname")) {
            int r = valid_hostname(unesc(f[1], 0), DO_GRIPE | (n > 2 ? DO_WILDCARD : 0));
            vstream_printf("%d\n", r);
        } else if (!strcmp(cmd, "hostaddr")) {
            int r = valid_hostaddr(unesc(f[1], 0), DO_GRIPE);
            vstream_printf("%d\n", r);
        } else if (!strcmp(cmd, "literal")) {
            int r = valid_mailhost_literal(unesc(f[1], 0), DO_GRIPE);
            vstream_printf("%d\n", r);
        } else if (!strcmp(cmd, "mailhost")) {
            const char *r = valid_mailhost_addr(unesc(f[1], 0), DO_GRIPE);
            vstream_printf("%s\n", r ? r : "(null)");
        } else if (!strcmp(cmd, "isheader")) {
            size_t len;
            char *in = unesc(f[1], &len);
            ssize_t r = is_header_buf(in, len);
            vstream_printf("%ld", (long) r);
            if (r > 0) {
                const HEADER_OPTS *h = header_opts_find(in);
                vstream_printf(" %s %d %d", h ? h->name : "-", h ? h->type : -1, h ? h->flags : -1);
            }
            vstream_printf("\n");
        } else if (!strcmp(cmd, "date")) {
            vstream_printf("%s\n", mail_date((time_t) atol(f[1])));
        } else if (!strcmp(cmd, "mimebegin")) {
            var_header_limit = n > 1 ? atoi(f[1]) : 102400;
            mime_full = 0;
            mime = mime_state_alloc(MIME_OPT_DISABLE_MIME | MIME_OPT_REPORT_TRUNC_HEADER, m_head_out, m_head_end,
                                    m_body_out, m_body_end, m_err, (void *) 0);
        } else if (!strcmp(cmd, "mimebegin2")) {
            var_header_limit = n > 1 && *f[1] ? atoi(f[1]) : 102400;
            var_mime_maxdepth = n > 2 && *f[2] ? atoi(f[2]) : 100;
            var_mime_bound_len = n > 3 && *f[3] ? atoi(f[3]) : 2048;
            mime_full = 1;
            mime = mime_state_alloc(MIME_OPT_REPORT_TRUNC_HEADER | MIME_OPT_REPORT_NESTING
                                    | (n > 4 && atoi(f[4]) ? MIME_OPT_DISABLE_MIME : 0), m_head_out, m_head_end,
                                    m_body_out, m_body_end, m_err, (void *) 0);
        } else if (!strcmp(cmd, "mimedown")) {
            var_header_limit = 102400;
            var_mime_maxdepth = n > 1 && *f[1] ? atoi(f[1]) : 100;
            var_mime_bound_len = 2048;
            mime_full = 1;
            mime = mime_state_alloc(MIME_OPT_DOWNGRADE | MIME_OPT_REPORT_NESTING, m_head_out, m_head_end,
                                    m_body_out, m_body_end, m_err, (void *) 0);
        } else if (!strcmp(cmd, "mimestrict")) {
            var_header_limit = 102400;
            var_mime_maxdepth = 100;
            var_mime_bound_len = 2048;
            mime_full = 1;
            mime = mime_state_alloc(MIME_OPT_REPORT_8BIT_IN_HEADER | MIME_OPT_REPORT_8BIT_IN_7BIT_BODY
                                    | MIME_OPT_REPORT_ENCODING_DOMAIN | MIME_OPT_REPORT_NESTING, m_head_out, m_head_end,
                                    m_body_out, m_body_end, m_err, (void *) 0);
        } else if (!strcmp(cmd, "rec")) {
            size_t len;
            char *in = unesc(f[2], &len);
            mime_state_update(mime, f[1][0] == 'L' ? REC_TYPE_CONT : REC_TYPE_NORM, in, len);
        } else if (!strcmp(cmd, "mimeend")) {
            mime_state_update(mime, REC_TYPE_XTRA, "", 0);
            mime_state_free(mime);
        }
        vstream_fflush(VSTREAM_OUT);
    }
    return 0;
}
