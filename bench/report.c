/* report.c: table and JSON output (see report.h). */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 160
#define MAX_FAILS 16

struct item {
    char key[48];
    char label[64];
    char json[192]; /* the JSON value, already encoded */
    char text[128]; /* the table's rendering */
};

struct rep {
    char scenario[16];
    int n;
    struct item it[MAX_ITEMS];
    int nfail;
    char fail[MAX_FAILS][160];
};

struct rep *rep_new(const char *scenario)
{
    struct rep *r = calloc(1, sizeof(*r));
    if (!r) {
        fprintf(stderr, "livegw-bench: out of memory\n");
        abort();
    }
    snprintf(r->scenario, sizeof(r->scenario), "%s", scenario);
    return r;
}

void rep_free(struct rep *r)
{
    free(r);
}

static void copy(char *out, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

static struct item *add(struct rep *r, const char *key, const char *label)
{
    if (r->n == MAX_ITEMS)
        return NULL;
    struct item *it = &r->it[r->n++];
    copy(it->key, sizeof(it->key), key);
    copy(it->label, sizeof(it->label), label ? label : "");
    return it;
}

static void json_escape(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    if (cap < 3)
        return;
    out[o++] = '"';
    for (; *s && o + 8 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
}

void rep_str(struct rep *r, const char *key, const char *label, const char *v)
{
    struct item *it = add(r, key, label);
    if (!it)
        return;
    json_escape(it->json, sizeof(it->json), v);
    snprintf(it->text, sizeof(it->text), "%s", v);
}

void rep_int(struct rep *r, const char *key, const char *label, int64_t v)
{
    struct item *it = add(r, key, label);
    if (!it)
        return;
    snprintf(it->json, sizeof(it->json), "%lld", (long long)v);
    snprintf(it->text, sizeof(it->text), "%lld", (long long)v);
}

void rep_num(struct rep *r, const char *key, const char *label, double v, int decimals,
             const char *unit)
{
    struct item *it = add(r, key, label);
    if (!it)
        return;
    snprintf(it->json, sizeof(it->json), "%.*f", decimals, v);
    snprintf(it->text, sizeof(it->text), "%.*f%s%s", decimals, v, unit && *unit ? " " : "",
             unit ? unit : "");
}

void rep_lat(struct rep *r, const char *key, const char *label, const struct hist *h)
{
    static const struct {
        const char *suffix;
        double q;
    } qs[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}, {"max", 1.0}};
    char k[64];
    /* JSON gets one key per quantile (hidden from the table); the table gets one line. */
    char line[128] = "";
    size_t o = 0;
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        double ms = (double)hist_quantile(h, qs[i].q) / 1e6;
        snprintf(k, sizeof(k), "%s_%s", key, qs[i].suffix);
        struct item *q = add(r, k, NULL);
        if (!q)
            return;
        snprintf(q->json, sizeof(q->json), "%.3f", ms);
        o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s %.2f", i ? "  " : "", qs[i].suffix,
                              ms);
    }
    struct item *t = add(r, "", label);
    if (t) {
        snprintf(t->text, sizeof(t->text), "%.96s ms (n=%llu)", line, (unsigned long long)h->count);
    }
}

void rep_fail(struct rep *r, const char *fmt, ...)
{
    if (r->nfail == MAX_FAILS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->fail[r->nfail++], sizeof(r->fail[0]), fmt, ap);
    va_end(ap);
}

bool rep_ok(const struct rep *r)
{
    return r->nfail == 0;
}

void rep_print(struct rep *r)
{
    printf("== livegw-bench %s ==\n", r->scenario);
    for (int i = 0; i < r->n; i++) {
        struct item *it = &r->it[i];
        if (!it->text[0] || !it->label[0])
            continue;
        printf("  %-34s %s\n", it->label, it->text);
    }
    for (int i = 0; i < r->nfail; i++)
        printf("  FAILED: %s\n", r->fail[i]);
    printf("  %-34s %s\n", "result", r->nfail ? "FAIL" : "ok");
    char esc[200];
    json_escape(esc, sizeof(esc), r->scenario);
    printf("{\"scenario\":%s", esc);
    for (int i = 0; i < r->n; i++) {
        struct item *it = &r->it[i];
        if (!it->json[0] || !it->key[0])
            continue;
        printf(",\"%s\":%s", it->key, it->json);
    }
    printf(",\"ok\":%s,\"failures\":[", r->nfail ? "false" : "true");
    for (int i = 0; i < r->nfail; i++) {
        json_escape(esc, sizeof(esc), r->fail[i]);
        printf("%s%s", i ? "," : "", esc);
    }
    printf("]}\n");
    fflush(stdout);
}
