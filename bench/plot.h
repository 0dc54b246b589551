/* plot.h: writes a run's latency distribution and deliveries over time as gnuplot data files
 * plus a script, and renders them to <prefix>.svg when gnuplot is installed. */
#ifndef BENCH_PLOT_H
#define BENCH_PLOT_H

#include <stdint.h>

#include "hist.h"

/* `bins` holds events (`what`, plural: "deliveries", "order replies") per 100 ms bin since the
 * measured phase started, nbins of them; `lat` their latencies. `title` goes on the plot.
 * Returns 0 when the SVG was rendered, 1 when only the data and script were written (no
 * gnuplot), -1 on error. */
int plot_write(const char *prefix, const char *title, const char *what, const struct hist *lat,
               const uint64_t *bins, int nbins);

#endif
