/* plot.c: gnuplot data, script and SVG (see plot.h). */
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

int plot_write(const char *prefix, const char *title, const char *what, const struct hist *lat,
               const uint64_t *bins, int nbins)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s.lat.dat", prefix);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    /* Percentile spectrum: x is 1/(1-q), so 90%, 99%, 99.9% are evenly spaced on a log axis. */
    fprintf(f, "# quantile  one_over_1_minus_q  latency_ms\n");
    uint64_t seen = 0;
    for (int i = 0; i < HIST_BUCKETS && lat->count; i++) {
        if (!lat->b[i])
            continue;
        seen += lat->b[i];
        double q = (double)seen / (double)lat->count;
        double x = q >= 1.0 ? 1e6 : 1.0 / (1.0 - q);
        uint64_t hi = i + 1 < HIST_BUCKETS ? hist_bucket_low(i + 1) : hist_bucket_low(i);
        if (hi > lat->max)
            hi = lat->max;
        fprintf(f, "%.6f %.3f %.4f\n", q, x > 1e6 ? 1e6 : x, (double)hi / 1e6);
    }
    fclose(f);
    snprintf(path, sizeof(path), "%s.rate.dat", prefix);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# t_s  %s per s (100 ms bins)\n", what);
    int last = nbins - 1;
    while (last > 0 && bins[last] == 0)
        last--;
    for (int i = 0; i <= last; i++)
        fprintf(f, "%.1f %llu\n", i * (BENCH_BIN_NS / 1e9),
                (unsigned long long)(bins[i] * (1000000000ull / BENCH_BIN_NS)));
    fclose(f);
    snprintf(path, sizeof(path), "%s.gp", prefix);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "set terminal svg size 1100,420 dynamic font 'sans,11'\n"
            "set output '%s.svg'\n"
            "set multiplot layout 1,2 title '%s'\n"
            "set title 'latency of %s (percentile spectrum)'\n"
            "set logscale x\nset xrange [1:1e5]\n"
            "set xtics ('0%%%%' 1, '50%%%%' 2, '90%%%%' 10, '99%%%%' 100, '99.9%%%%' 1000, "
            "'99.99%%%%' 10000)\n"
            "set ylabel 'latency (ms)'\nset grid\nset key off\n"
            "plot '%s.lat.dat' using 2:3 with steps lw 2\n"
            "unset logscale x\nset xrange [*:*]\nset xtics auto\n"
            "set title '%s per second (100 ms bins)'\n"
            "set xlabel 'time since the measured phase started (s)'\nset ylabel '%s/s'\n"
            "set format y '%%.0s%%c'\n"
            "plot '%s.rate.dat' using 1:2 with steps lw 2\n"
            "unset multiplot\n",
            prefix, title, what, prefix, what, what, prefix);
    fclose(f);
    if (system("command -v gnuplot >/dev/null 2>&1") != 0)
        return 1;
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "gnuplot '%s.gp' 2>/dev/null", prefix);
    return system(cmd) == 0 ? 0 : -1;
}
