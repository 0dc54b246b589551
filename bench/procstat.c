/* procstat.c: /proc/<pid>/stat and /proc/<pid>/status reading (see procstat.h). */
#include "procstat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bclock.h"

static int read_one(pid_t pid, struct procsample *s)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command name, which may hold spaces: state is field 3, utime 14,
     * stime 15. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -EPROTO;
    p += 2;
    unsigned long long ut = 0, st = 0;
    for (int field = 3; field <= 15 && *p; field++) {
        if (field == 14)
            ut = strtoull(p, NULL, 10);
        if (field == 15)
            st = strtoull(p, NULL, 10);
        p = strchr(p, ' ');
        if (!p)
            break;
        p++;
    }
    long hz = sysconf(_SC_CLK_TCK);
    s->cpu_s = (double)(ut + st) / (double)(hz > 0 ? hz : 100);
    s->t_ns = bench_now_ns();
    s->rss_kb = 0;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return -errno;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            s->rss_kb = strtoull(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return 0;
}

/* The process and its direct children: nginx does its work in worker processes under the
 * master whose pid the operator knows. */
int procstat_read(pid_t pid, struct procsample *s)
{
    int rc = read_one(pid, s);
    if (rc < 0)
        return rc;
    char path[96];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int child;
    while (fscanf(f, "%d", &child) == 1) {
        struct procsample c;
        if (read_one((pid_t)child, &c) == 0) {
            s->cpu_s += c.cpu_s;
            s->rss_kb += c.rss_kb;
        }
    }
    fclose(f);
    return 0;
}
