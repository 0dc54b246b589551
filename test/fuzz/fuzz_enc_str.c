/* fuzz_enc_str.c: fuzz target for the JSON string writer, which takes strings that may
 * come from outside (comments, nicks, store data): any bytes must give valid JSON. */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "proto_enc.h"
#include "proto_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_buf b;
    json_t *o, *v;

    proto_buf_init(&b, 16);
    proto_json_arr_begin(&b, NULL);
    proto_json_obj_begin(&b);
    proto_json_str(&b, "s", (const char *)data, size);
    proto_json_obj_end(&b);
    proto_enc_notice(&b, 0, NULL, "after");
    proto_json_arr_end(&b);

    o = json_loadb((const char *)proto_buf_data(&b), b.len, JSON_ALLOW_NUL, NULL);
    CHECK(o != NULL && json_array_size(o) == 2);
    v = json_object_get(json_array_get(o, 0), "s");
    CHECK(json_is_string(v));
    /* Valid UTF-8 comes back byte for byte; otherwise only bad bytes were replaced. */
    if (proto_utf8_is_valid((const char *)data, size))
        CHECK(json_string_length(v) == size && memcmp(json_string_value(v), data, size) == 0);
    else
        CHECK(json_string_length(v) > 0);
    json_decref(o);
    proto_buf_fini(&b);
    return 0;
}
