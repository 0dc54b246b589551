/* test_gw_room.c: the room log (seq, replay ring, deletion), comment sampling, the
 * shard inboxes and the lock-free dirty stack, without sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "gw_bucket.h"
#include "gw_fanout.h"
#include "gw_room.h"
#include "gw_server.h"

#define REPLAY_CAP 16

struct fixture {
    struct gw_server srv;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    gw_config_defaults(&f->srv.cfg);
    f->srv.nworkers = 2;
    f->srv.workers = calloc(2, sizeof(*f->srv.workers));
    for (int i = 0; i < 2; i++) {
        f->srv.workers[i].idx = i;
        f->srv.workers[i].srv = &f->srv;
        atomic_init(&f->srv.workers[i].dirty, NULL);
        proto_buf_init(&f->srv.workers[i].enc, 0);
    }
    gw_rooms_init(&f->srv.rooms, &f->srv, 2, REPLAY_CAP, 5);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    gw_rooms_fini(&f->srv.rooms);
    for (int i = 0; i < 2; i++)
        proto_buf_fini(&f->srv.workers[i].enc);
    free(f->srv.workers);
    free(f);
    return 0;
}

static void activate(struct gw_room *r, int shard)
{
    pthread_mutex_lock(&r->lock);
    r->shards[shard].active = true;
    atomic_store(&r->shards[shard].active_hint, true);
    pthread_mutex_unlock(&r->lock);
}

/* The JSON payload of a framed message (skips the 2- or 4-byte header). */
static json_t *payload(const struct gw_msg *m)
{
    size_t hl = (m->data[1] & 0x7f) == 126 ? 4 : 2;
    return json_loadb((const char *)m->data + hl, m->len - hl, 0, NULL);
}

static void test_seq_and_replay_ring(void **state)
{
    struct fixture *f = *state;
    struct gw_worker *w = &f->srv.workers[0];
    struct gw_room *r = gw_rooms_get(&f->srv.rooms, "r1", true);
    char text[32];

    assert_ptr_equal(r, gw_rooms_get(&f->srv.rooms, "r1", false));
    assert_null(gw_rooms_get(&f->srv.rooms, "nope", false));
    activate(r, 1);
    for (int i = 1; i <= 40; i++) {
        snprintf(text, sizeof(text), "n%d", i);
        gw_room_notice(r, w, text);
    }
    assert_int_equal(r->seq, 40);
    /* The ring keeps exactly the last REPLAY_CAP events, each in its slot. */
    for (uint64_t s = 40 - REPLAY_CAP + 1; s <= 40; s++) {
        struct gw_msg *m = r->replay[s % REPLAY_CAP];
        json_t *j;
        assert_non_null(m);
        assert_int_equal(m->seq, s);
        j = payload(m);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "t")), "notice");
        assert_int_equal(json_integer_value(json_object_get(j, "seq")), (json_int_t)s);
        json_decref(j);
    }
    /* Only the active shard got the events, in seq order; the inactive one none. */
    assert_int_equal(r->shards[1].inbox.n, 40);
    assert_int_equal(r->shards[0].inbox.n, 0);
    for (uint32_t i = 0; i < 40; i++)
        assert_int_equal(r->shards[1].inbox.v[i]->seq, i + 1);
}

static void test_dirty_stack_pushes_once(void **state)
{
    struct fixture *f = *state;
    struct gw_worker *w1 = &f->srv.workers[1];
    struct gw_room *a = gw_rooms_get(&f->srv.rooms, "a", true);
    struct gw_room *b = gw_rooms_get(&f->srv.rooms, "b", true);
    struct gw_shard *s;
    int n = 0;

    activate(a, 1);
    activate(b, 1);
    for (int i = 0; i < 5; i++) {
        gw_room_notice(a, &f->srv.workers[0], "x");
        gw_room_notice(b, &f->srv.workers[0], "y");
        gw_room_like(a, NULL, 3);
    }
    for (s = atomic_load(&w1->dirty); s; s = s->dirty_next) {
        assert_true(s == &a->shards[1] || s == &b->shards[1]);
        assert_true(atomic_load(&s->dirty));
        n++;
    }
    assert_int_equal(n, 2);
    assert_null(atomic_load(&f->srv.workers[0].dirty));
    assert_int_equal(atomic_load(&a->likes), 15);
}

static void test_comment_sampling_and_delete(void **state)
{
    struct fixture *f = *state;
    struct gw_worker *w = &f->srv.workers[0];
    struct gw_room *r = gw_rooms_get(&f->srv.rooms, "hot", true);
    int shown = 0, sampled = 0;
    uint64_t first_id = 0;

    activate(r, 0);
    /* Rate 5 per second with a burst of 5: a quick burst of 20 shows exactly 5. */
    for (int i = 0; i < 20; i++) {
        struct gw_msg *own = NULL;
        switch (gw_room_comment(r, w, "u1", NULL, "hi", false, &own)) {
        case GW_COMMENT_SHOWN:
            shown++;
            assert_null(own);
            break;
        case GW_COMMENT_SAMPLED:
            sampled++;
            assert_non_null(own);
            assert_int_equal(own->seq, 0);
            assert_int_equal(own->kind, GW_MSG_HOST_ONLY);
            gw_msg_unref(own);
            break;
        default:
            fail();
        }
    }
    assert_true(shown >= 5 && shown <= 6); /* one more token may accrue meanwhile */
    assert_int_equal(shown + sampled, 20);
    assert_int_equal(r->seq, (uint64_t)shown);
    /* Hosts are never sampled. */
    {
        struct gw_msg *own = NULL;
        assert_int_equal(gw_room_comment(r, w, "host", NULL, "from host", true, &own),
                         GW_COMMENT_SHOWN);
    }
    first_id = r->replay[1 % REPLAY_CAP]->comment_id;
    assert_int_equal(first_id, 1);
    assert_int_equal(gw_room_delete_comment(r, w, "1"), 0);
    assert_null(r->replay[1 % REPLAY_CAP]);
    assert_int_equal(gw_room_delete_comment(r, w, "99999"), -1);
    assert_int_equal(gw_room_delete_comment(r, w, "x1"), -1);
    /* Muted uids are refused and consume nothing. */
    {
        uint64_t seq = r->seq;
        struct gw_msg *own = NULL;
        gw_room_mute(r, "u2", 60);
        assert_true(gw_room_is_muted(r, "u2"));
        assert_int_equal(gw_room_comment(r, w, "u2", NULL, "hi", false, &own), GW_COMMENT_MUTED);
        assert_int_equal(r->seq, seq);
        gw_room_mute(r, "u2", 0);
        assert_false(gw_room_is_muted(r, "u2"));
    }
}

static void test_card_pin_and_clear(void **state)
{
    struct fixture *f = *state;
    struct gw_worker *w = &f->srv.workers[0];
    struct gw_room *r = gw_rooms_get(&f->srv.rooms, "shop", true);
    struct proto_card card;

    memset(&card, 0, sizeof(card));
    strcpy(card.sku, "sku1");
    strcpy(card.title, "Tea");
    card.price = 1000;
    card.live_price = 800;
    gw_room_card(r, w, &card);
    assert_true(r->has_card);
    assert_string_equal(r->card.sku, "sku1");
    gw_room_card(r, w, NULL);
    assert_false(r->has_card);
    assert_int_equal(r->seq, 2);
}

static void test_bucket(void **state)
{
    struct gw_bucket b;

    gw_bucket_init(&b, 2, 4, 1000);
    for (int i = 0; i < 4; i++)
        assert_true(gw_bucket_take(&b, 1, 1000));
    assert_false(gw_bucket_take(&b, 1, 1000));
    assert_false(gw_bucket_take(&b, 1, 1400)); /* 0.8 token */
    assert_true(gw_bucket_take(&b, 1, 1500));  /* 1.0 token */
    assert_true(gw_bucket_take(&b, 4, 10000)); /* capped at the burst */
    assert_false(gw_bucket_take(&b, 1, 10000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seq_and_replay_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dirty_stack_pushes_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comment_sampling_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_card_pin_and_clear, setup, teardown),
        cmocka_unit_test(test_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
