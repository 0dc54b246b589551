/* coord.c: the coordinator (see coord.h). */
#include "coord.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bclock.h"
#include "rush_redis.h"

static double own_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void sample(struct coord *c, struct procsample *out)
{
    struct procsample s;
    if (!c->server || procstat_read(c->cfg->server_pid, &s) < 0)
        return;
    if (s.rss_kb > c->srv_rss_max_kb)
        c->srv_rss_max_kb = s.rss_kb;
    if (out)
        *out = s;
}

int coord_start(struct coord *c, struct bench_cfg *cfg)
{
    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    c->t_start = bench_now_ns();
    if (cfg->server_pid > 0) {
        if (procstat_read(cfg->server_pid, &c->srv_base) < 0) {
            fprintf(stderr, "livegw-bench: cannot read /proc/%d: %s\n", (int)cfg->server_pid,
                    strerror(errno));
            return -1;
        }
        c->server = true;
        c->srv_rss_max_kb = c->srv_base.rss_kb;
        c->srv_run = c->srv_end = c->srv_base;
    }
    c->shm_size = sizeof(struct bench_shm) + (size_t)cfg->procs * sizeof(struct bench_slot);
    size_t ids_off = 0;
    if (cfg->scn == SCN_RUSH && cfg->target == TGT_GATEWAY) {
        ids_off = (c->shm_size + 63) & ~(size_t)63;
        c->shm_size = ids_off + (size_t)cfg->viewers * BENCH_ORDER_ID_MAX;
    }
    c->shm = mmap(NULL, c->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (c->shm == MAP_FAILED) {
        c->shm = NULL;
        perror("livegw-bench: mmap");
        return -1;
    }
    c->shm->nslots = cfg->procs;
    c->shm->order_ids_off = ids_off;
    for (int r = 0; r < BENCH_MAX_ROOMS; r++)
        c->shm->final_seq[r] = -1;
    for (int i = 0; i < cfg->procs; i++) {
        hist_init(&c->shm->slot[i].lat);
        hist_init(&c->shm->slot[i].connect);
        hist_init(&c->shm->slot[i].reply);
        hist_init(&c->shm->slot[i].send_lag);
    }
    c->kids = calloc((size_t)cfg->procs, sizeof(pid_t));
    if (!c->kids)
        return -1;
    fflush(NULL);
    for (int i = 0; i < cfg->procs; i++) {
        int first = (int)((int64_t)cfg->viewers * i / cfg->procs);
        int next = (int)((int64_t)cfg->viewers * (i + 1) / cfg->procs);
        pid_t pid = fork();
        if (pid < 0) {
            perror("livegw-bench: fork");
            return -1;
        }
        if (pid == 0 && cfg->target == TGT_REDIS)
            rush_redis_viewer_main(cfg, c->shm, i, first, next - first, cfg->redis_sha);
        if (pid == 0)
            bench_viewer_main(cfg, c->shm, i, first, next - first);
        c->kids[c->nkids++] = pid;
    }
    return 0;
}

#define SUM(field)                                                                                 \
    uint64_t n = 0;                                                                                \
    for (int i = 0; i < c->cfg->procs; i++)                                                        \
        n += atomic_load_explicit(&c->shm->slot[i].field, memory_order_relaxed);                   \
    return n

uint64_t coord_ready(const struct coord *c)
{
    SUM(ready);
}

uint64_t coord_failed(const struct coord *c)
{
    SUM(failed);
}

uint64_t coord_delivered(const struct coord *c)
{
    SUM(delivered);
}

void coord_tick(struct coord *c)
{
    uint64_t now = bench_now_ns();
    if (now < c->next_sample_ns)
        return;
    c->next_sample_ns = now + 100000000ull;
    sample(c, NULL);
}

uint64_t coord_wait_ready(struct coord *c)
{
    uint64_t deadline = bench_now_ns() + (uint64_t)(c->cfg->ready_timeout * 1e9);
    uint64_t last_print = 0;
    for (;;) {
        uint64_t r = coord_ready(c), f = coord_failed(c), now = bench_now_ns();
        if (r + f >= (uint64_t)c->cfg->viewers || now > deadline) {
            c->t_ready = now;
            return r;
        }
        if (now - last_print > 2000000000ull) {
            if (last_print)
                fprintf(stderr, "livegw-bench: %llu/%d viewers ready, %llu failed\n",
                        (unsigned long long)r, c->cfg->viewers, (unsigned long long)f);
            last_print = now;
        }
        coord_tick(c);
        pub_poll(&c->pub, 5);
    }
}

void coord_run(struct coord *c)
{
    sample(c, &c->srv_run);
    c->ready_at_run = coord_ready(c);
    c->own_cpu_mark = own_cpu();
    c->t_run = bench_now_ns();
    atomic_store_explicit(&c->shm->t_run_ns, c->t_run, memory_order_relaxed);
    /* Pairs with the viewers' acquire load of phase: t_run is visible once they see PH_RUN. */
    atomic_store_explicit(&c->shm->phase, PH_RUN, memory_order_release);
}

void coord_drain(struct coord *c)
{
    c->t_pub_end = bench_now_ns();
    atomic_store_explicit(&c->shm->phase, PH_DRAIN, memory_order_release);
}

int coord_finish(struct coord *c)
{
    if (!c->shm)
        return -1;
    c->t_end = bench_now_ns();
    sample(c, &c->srv_end);
    if (c->t_run)
        c->own_cpu_run_s = own_cpu() - c->own_cpu_mark;
    for (int r = 0; r < c->cfg->rooms && r < BENCH_MAX_ROOMS; r++) {
        c->shm->final_seq[r] = pub_last_seq(&c->pub, r);
        c->shm->final_pub[r] = c->pub.pub ? c->pub.pub[r] : 0;
    }
    /* Pairs with the viewers' acquire load: final_seq/final_pub are visible at PH_EXIT. */
    atomic_store_explicit(&c->shm->phase, PH_EXIT, memory_order_release);
    int bad = 0;
    uint64_t deadline = bench_now_ns() + 20000000000ull;
    for (int i = 0; i < c->nkids; i++) {
        int st;
        for (;;) {
            pid_t w = waitpid(c->kids[i], &st, WNOHANG);
            if (w == c->kids[i])
                break;
            if (w < 0 || bench_now_ns() > deadline) {
                kill(c->kids[i], SIGKILL);
                waitpid(c->kids[i], &st, 0);
                st = -1;
                break;
            }
            usleep(2000);
        }
        c->kids[i] = 0;
        if (st != 0 || !atomic_load_explicit(&c->shm->slot[i].done, memory_order_acquire)) {
            fprintf(stderr, "livegw-bench: viewer process %d did not finish cleanly\n", i);
            bad = 1;
        } else {
            c->viewers_exited_ok++;
        }
    }
    c->tot = calloc(1, sizeof(*c->tot));
    if (!c->tot)
        return -1;
    struct bench_slot *t = c->tot;
    hist_init(&t->lat);
    hist_init(&t->connect);
    hist_init(&t->reply);
    hist_init(&t->send_lag);
    t->likes_final_min = INT64_MAX;
    t->likes_final_max = -1;
    for (int i = 0; i < c->cfg->procs; i++) {
        struct bench_slot *s = &c->shm->slot[i];
        t->started += s->started;
        t->ready += s->ready;
        t->failed += s->failed;
        t->delivered += s->delivered;
        t->lost_pub += s->lost_pub;
        t->dup_pub += s->dup_pub;
        t->reordered += s->reordered;
        t->seq_gaps += s->seq_gaps;
        t->seq_dups += s->seq_dups;
        t->bad_msgs += s->bad_msgs;
        t->online_msgs += s->online_msgs;
        t->closes_4009 += s->closes_4009;
        t->closes_1001 += s->closes_1001;
        t->closes_other += s->closes_other;
        t->refused += s->refused;
        t->conn_errors += s->conn_errors;
        if (s->last_close_why[0]) {
            t->last_close_code = s->last_close_code;
            memcpy(t->last_close_why, s->last_close_why, sizeof(t->last_close_why));
        }
        t->reconnects += s->reconnects;
        t->deferred += s->deferred;
        t->behind += s->behind;
        t->unready_at_end += s->unready_at_end;
        t->likes_sent += s->likes_sent;
        t->likes_rejected += s->likes_rejected;
        if (s->likes_viewers) {
            if (s->likes_final_min < t->likes_final_min)
                t->likes_final_min = s->likes_final_min;
            if (s->likes_final_max > t->likes_final_max)
                t->likes_final_max = s->likes_final_max;
        }
        t->likes_viewers += s->likes_viewers;
        t->orders_sent += s->orders_sent;
        t->orders_ok += s->orders_ok;
        t->orders_fail += s->orders_fail;
        t->orders_extra += s->orders_extra;
        t->order_ids_bad += s->order_ids_bad;
        t->errors += s->errors;
        for (int k = 0; k < BENCH_CODES && s->codes[k].n; k++)
            bench_code_add(t->codes, s->codes[k].code, strlen(s->codes[k].code), s->codes[k].n);
        for (int k = 0; k < BENCH_CODES && s->order_codes[k].n; k++)
            bench_code_add(t->order_codes, s->order_codes[k].code, strlen(s->order_codes[k].code),
                           s->order_codes[k].n);
        if (s->last_delivery_ns > t->last_delivery_ns)
            t->last_delivery_ns = s->last_delivery_ns;
        t->cpu_run_s += s->cpu_run_s;
        t->cpu_total_s += s->cpu_total_s;
        if (s->maxrss_kb > t->maxrss_kb)
            t->maxrss_kb = s->maxrss_kb;
        hist_merge(&t->lat, &s->lat);
        hist_merge(&t->connect, &s->connect);
        hist_merge(&t->reply, &s->reply);
        hist_merge(&t->send_lag, &s->send_lag);
        for (int b = 0; b < BENCH_BINS; b++)
            t->bins[b] += s->bins[b];
    }
    if (t->likes_viewers == 0)
        t->likes_final_min = -1;
    return bad ? -1 : 0;
}

void coord_cleanup(struct coord *c)
{
    for (int i = 0; i < c->nkids; i++) {
        if (c->kids[i] > 0) {
            kill(c->kids[i], SIGKILL);
            waitpid(c->kids[i], NULL, 0);
        }
    }
    free(c->kids);
    c->kids = NULL;
    free(c->tot);
    c->tot = NULL;
    if (c->shm)
        munmap(c->shm, c->shm_size);
    c->shm = NULL;
}
