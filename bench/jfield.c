/* jfield.c: JSON-light field extraction (see jfield.h). */
#include "jfield.h"

#include <string.h>

static size_t skip_ws(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* Returns the index just past the closing quote of the string opening at s[i] == '"', or len
 * when it is unterminated. */
static size_t skip_string(const char *s, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return len;
}

/* Returns the index just past the value starting at s[i]. */
static size_t skip_value(const char *s, size_t len, size_t i)
{
    if (i >= len)
        return len;
    if (s[i] == '"')
        return skip_string(s, len, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < len) {
            char c = s[i];
            if (c == '"') {
                i = skip_string(s, len, i);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return i + 1;
            }
            i++;
        }
        return len;
    }
    while (i < len && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n')
        i++;
    return i;
}

const char *jf_find(const char *s, size_t len, const char *key, size_t *vlen, bool *is_str)
{
    size_t klen = strlen(key);
    size_t i = skip_ws(s, len, 0);
    if (i >= len || s[i] != '{')
        return NULL;
    i++;
    for (;;) {
        i = skip_ws(s, len, i);
        if (i >= len || s[i] != '"')
            return NULL;
        size_t kend = skip_string(s, len, i);
        bool match = kend - i - 2 == klen && memcmp(s + i + 1, key, klen) == 0;
        i = skip_ws(s, len, kend);
        if (i >= len || s[i] != ':')
            return NULL;
        i = skip_ws(s, len, i + 1);
        size_t vend = skip_value(s, len, i);
        if (match) {
            bool str = i < len && s[i] == '"';
            if (is_str)
                *is_str = str;
            if (str) {
                if (vend - i < 2)
                    return NULL;
                *vlen = vend - i - 2;
                return s + i + 1;
            }
            *vlen = vend - i;
            return s + i;
        }
        i = skip_ws(s, len, vend);
        if (i >= len || s[i] != ',')
            return NULL;
        i++;
    }
}

bool jf_int(const char *s, size_t len, const char *key, int64_t *out)
{
    size_t vl;
    bool str;
    const char *v = jf_find(s, len, key, &vl, &str);
    if (!v || str || vl == 0)
        return false;
    int64_t x = 0;
    size_t i = 0;
    bool neg = false;
    if (v[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i >= vl)
        return false;
    for (; i < vl; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        x = x * 10 + (v[i] - '0');
    }
    *out = neg ? -x : x;
    return true;
}

bool jf_str(const char *s, size_t len, const char *key, const char **v, size_t *vlen)
{
    bool str;
    const char *p = jf_find(s, len, key, vlen, &str);
    if (!p || !str)
        return false;
    *v = p;
    return true;
}

bool jf_str_eq(const char *s, size_t len, const char *key, const char *want)
{
    const char *v;
    size_t vl;
    return jf_str(s, len, key, &v, &vl) && vl == strlen(want) && memcmp(v, want, vl) == 0;
}

bool jf_next_object(const char *s, size_t len, size_t *pos, const char **obj, size_t *olen)
{
    size_t i = skip_ws(s, len, *pos);
    if (i >= len)
        return false;
    if (*pos == 0 && s[i] == '[') {
        i = skip_ws(s, len, i + 1);
    } else if (*pos != 0) {
        if (s[i] == ',')
            i = skip_ws(s, len, i + 1);
        else if (s[i] == ']')
            return false;
    }
    if (i >= len || s[i] != '{')
        return false;
    size_t end = skip_value(s, len, i);
    *obj = s + i;
    *olen = end - i;
    *pos = end;
    return true;
}
