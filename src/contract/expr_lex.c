/* expr_lex.c - the expression tokenizer.
 *
 * Turns source bytes into tokens one at a time: numbers (ints keep their magnitude so the
 * parser can accept -9223372036854775808), quoted strings and `quoted names` decoded into a
 * pool the caller sized to the source, identifiers, case-insensitive keywords and operators.
 * Errors name the offending text and its 1-based character offset.
 */
#include "contract/expr_int.h"

#include <string.h>

#include "contract/types.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident_char(char c)
{
    return is_ident_start(c) || is_digit(c);
}

size_t lex_char_offset(const char *src, size_t off)
{
    size_t chars = 1;
    for (size_t i = 0; i < off; i++) {
        if (((unsigned char)src[i] & 0xC0) != 0x80) {
            chars++;
        }
    }
    return chars;
}

static int lex_fail(const struct lexer *lx, size_t off, size_t len, const char *what,
                    struct sl_error *err)
{
    int shown = len > 40 ? 40 : (int)len;
    return sl_error_set(err, SL_EEXPR, "%s '%.*s%s' at offset %zu", what, shown, lx->src + off,
                        len > 40 ? "..." : "", lex_char_offset(lx->src, off));
}

struct keyword {
    const char *word;
    enum tok_kind kind;
};

static const struct keyword keywords[] = {
    {"and", TK_AND},   {"or", TK_OR},     {"not", TK_NOT},         {"in", TK_IN},
    {"is", TK_IS},     {"null", TK_NULL}, {"true", TK_TRUE},       {"false", TK_FALSE},
    {"between", TK_BETWEEN},
};

static enum tok_kind keyword_kind(const char *s, size_t n)
{
    for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++) {
        const char *w = keywords[k].word;
        if (strlen(w) != n) {
            continue;
        }
        size_t i = 0;
        while (i < n && (s[i] | 0x20) == w[i]) {
            i++;
        }
        if (i == n) {
            return keywords[k].kind;
        }
    }
    return TK_IDENT;
}

static int lex_number(struct lexer *lx, struct token *t, struct sl_error *err)
{
    const char *s = lx->src;
    size_t i = lx->pos;
    int is_num = 0;
    while (i < lx->len && is_digit(s[i])) {
        i++;
    }
    if (i < lx->len && s[i] == '.') {
        is_num = 1;
        i++;
        while (i < lx->len && is_digit(s[i])) {
            i++;
        }
    }
    if (i < lx->len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < lx->len && (s[j] == '+' || s[j] == '-')) {
            j++;
        }
        if (j < lx->len && is_digit(s[j])) {
            is_num = 1;
            i = j;
            while (i < lx->len && is_digit(s[i])) {
                i++;
            }
        }
    }
    size_t end = i;
    while (end < lx->len && (is_ident_char(s[end]) || s[end] == '.')) {
        end++;
    }
    t->off = lx->pos;
    t->len = end - lx->pos;
    if (end != i) {
        return lex_fail(lx, t->off, t->len, "invalid number", err);
    }
    if (is_num) {
        t->kind = TK_NUM;
        int rc = types_parse_num(s + t->off, t->len, '.', 0, &t->d);
        if (rc != 0) {
            return lex_fail(lx, t->off, t->len,
                            rc == TYPES_ERANGE ? "number out of range" : "invalid number", err);
        }
    } else {
        t->kind = TK_INT;
        t->mag = 0;
        t->big = 0;
        for (size_t k = t->off; k < end; k++) {
            unsigned d = (unsigned)(s[k] - '0');
            if (t->mag > (UINT64_C(1) << 63) / 10 ||
                t->mag * 10 + d > (UINT64_C(1) << 63)) {
                t->big = 1;
            } else {
                t->mag = t->mag * 10 + d;
            }
        }
    }
    lx->pos = end;
    return 0;
}

/* Decodes a quoted string or name that starts at lx->pos into the pool. */
static int lex_quoted(struct lexer *lx, struct token *t, int is_name, struct sl_error *err)
{
    const char *s = lx->src;
    char q = s[lx->pos];
    size_t i = lx->pos + 1;
    char *out = lx->pool + lx->pool_used;
    size_t n = 0;
    t->off = lx->pos;
    for (;;) {
        if (i >= lx->len) {
            return sl_error_set(err, SL_EEXPR, "unterminated %s starting at offset %zu",
                                is_name ? "quoted name" : "string",
                                lex_char_offset(lx->src, t->off));
        }
        char c = s[i];
        if (c == q) {
            if (i + 1 < lx->len && s[i + 1] == q) {
                out[n++] = q;
                i += 2;
                continue;
            }
            i++;
            break;
        }
        if (c == '\\' && !is_name) {
            if (i + 1 >= lx->len) {
                i = lx->len; /* reported as unterminated on the next turn */
                continue;
            }
            char e = s[i + 1];
            switch (e) {
            case '\\':
            case '\'':
            case '"':
                out[n++] = e;
                break;
            case 'n':
                out[n++] = '\n';
                break;
            case 't':
                out[n++] = '\t';
                break;
            default:
                return lex_fail(lx, i, 2, "unknown escape", err);
            }
            i += 2;
            continue;
        }
        out[n++] = c;
        i++;
    }
    out[n] = '\0';
    lx->pool_used += n + 1;
    t->kind = is_name ? TK_QIDENT : TK_STR;
    t->s = out;
    t->n = n;
    t->len = i - t->off;
    lx->pos = i;
    if (is_name && n == 0) {
        return lex_fail(lx, t->off, t->len, "empty quoted name", err);
    }
    return 0;
}

/* Operators of one or two bytes. */
static int lex_operator(struct lexer *lx, struct token *t)
{
    const char *s = lx->src + lx->pos;
    size_t left = lx->len - lx->pos;
    char c1 = left > 1 ? s[1] : '\0';
    size_t len = 1;
    enum tok_kind k;
    switch (s[0]) {
    case '(':
        k = TK_LPAREN;
        break;
    case ')':
        k = TK_RPAREN;
        break;
    case ',':
        k = TK_COMMA;
        break;
    case '+':
        k = TK_PLUS;
        break;
    case '-':
        k = TK_MINUS;
        break;
    case '*':
        k = TK_STAR;
        break;
    case '/':
        k = TK_SLASH;
        break;
    case '%':
        k = TK_PERCENT;
        break;
    case '=':
        k = TK_EQ;
        len = c1 == '=' ? 2 : 1;
        break;
    case '!':
        k = c1 == '=' ? TK_NE : TK_NOT;
        len = c1 == '=' ? 2 : 1;
        break;
    case '<':
        k = c1 == '=' ? TK_LE : c1 == '>' ? TK_NE : TK_LT;
        len = (c1 == '=' || c1 == '>') ? 2 : 1;
        break;
    case '>':
        k = c1 == '=' ? TK_GE : TK_GT;
        len = c1 == '=' ? 2 : 1;
        break;
    case '&':
        if (c1 != '&') {
            return -1;
        }
        k = TK_AND;
        len = 2;
        break;
    case '|':
        if (c1 != '|') {
            return -1;
        }
        k = TK_OR;
        len = 2;
        break;
    default:
        return -1;
    }
    t->kind = k;
    t->off = lx->pos;
    t->len = len;
    lx->pos += len;
    return 0;
}

int lex_next(struct lexer *lx, struct token *t, struct sl_error *err)
{
    const char *s = lx->src;
    while (lx->pos < lx->len && (s[lx->pos] == ' ' || s[lx->pos] == '\t' ||
                                 s[lx->pos] == '\n' || s[lx->pos] == '\r')) {
        lx->pos++;
    }
    memset(t, 0, sizeof(*t));
    t->off = lx->pos;
    if (lx->pos >= lx->len) {
        t->kind = TK_EOF;
        return 0;
    }
    char c = s[lx->pos];
    if (is_digit(c) || (c == '.' && lx->pos + 1 < lx->len && is_digit(s[lx->pos + 1]))) {
        return lex_number(lx, t, err);
    }
    if (c == '\'' || c == '"') {
        return lex_quoted(lx, t, 0, err);
    }
    if (c == '`') {
        return lex_quoted(lx, t, 1, err);
    }
    if (is_ident_start(c)) {
        size_t i = lx->pos;
        while (i < lx->len && is_ident_char(s[i])) {
            i++;
        }
        t->len = i - lx->pos;
        t->s = s + lx->pos;
        t->n = t->len;
        t->kind = keyword_kind(t->s, t->n);
        lx->pos = i;
        return 0;
    }
    if (lex_operator(lx, t) == 0) {
        return 0;
    }
    size_t clen = 1;
    while (lx->pos + clen < lx->len && ((unsigned char)s[lx->pos + clen] & 0xC0) == 0x80) {
        clen++;
    }
    if ((unsigned char)c >= 0x80) {
        return sl_error_set(err, SL_EEXPR,
                            "unexpected character '%.*s' at offset %zu (write names with other "
                            "characters in backquotes: `name`)",
                            (int)clen, s + lx->pos, lex_char_offset(s, lx->pos));
    }
    return lex_fail(lx, lx->pos, clen, "unexpected character", err);
}
