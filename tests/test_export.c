/* test_export.c — `byolcl export` and `byolcl features` files read back by an independent
 * parser: the safetensors header is valid JSON whose offsets tile the data exactly, every
 * dtype and shape is right, the ResNet-18 names, dtypes, shapes and order are torchvision's
 * own (tests/fixtures/torchvision_resnet18_state_dict.txt, written by torchvision), the
 * values are the checkpoint's; .npy headers are NumPy's version 1.0; and a missing or
 * corrupt checkpoint or an unwritable output gives a clear error and writes nothing. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byol/train_internal.h"
#include "byolcl/checkpoint.h"
#include "byolcl/export.h"
#include "byolcl/log.h"
#include "data_fixtures.h"
#include "test_util.h"
#include "util/npy.h"

enum { MAX_TENSORS = 256, MAX_META = 32, TINY_IMAGES = 24, TINY_SIZE = 12 };

typedef struct {
    char name[128], dtype[8];
    int64_t shape[8];
    int ndim;
    int64_t begin, end;
} ParsedTensor;

typedef struct {
    ParsedTensor tensors[MAX_TENSORS];
    int count;
    char meta_keys[MAX_META][64], meta_values[MAX_META][256];
    int meta_count;
    char *file;
    const unsigned char *data;
    size_t data_bytes;
} Parsed;

/* ---- a small strict JSON reader for the safetensors header ---------------------------- */

typedef struct {
    const char *p, *end;
} Json;

static void skip_space(Json *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')) j->p++;
}

static void expect_char(Json *j, char c) {
    skip_space(j);
    if (j->p >= j->end || *j->p != c) fail_msg("header JSON: expected '%c' before \"%.20s\"", c, j->p);
    j->p++;
}

static bool peek(Json *j, char c) {
    skip_space(j);
    return j->p < j->end && *j->p == c;
}

static void read_string(Json *j, char *out, size_t cap) {
    expect_char(j, '"');
    size_t n = 0;
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if ((unsigned char)c < 0x20) fail_msg("header JSON: control character inside a string");
        if (c == '\\') {
            if (j->p >= j->end) fail_msg("header JSON: truncated escape");
            char e = *j->p++;
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
            if (e == 'u') fail_msg("header JSON: unexpected \\u escape in a byolcl name");
            if (e != '"' && e != '\\' && e != '/' && e != 'n' && e != 't' && e != 'r')
                fail_msg("header JSON: invalid escape \\%c", e);
        }
        if (n + 1 >= cap) fail_msg("header JSON: string longer than %zu", cap);
        out[n++] = c;
    }
    out[n] = '\0';
    expect_char(j, '"');
}

static int64_t read_int(Json *j) {
    skip_space(j);
    const char *start = j->p;
    if (j->p < j->end && *j->p == '-') j->p++;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    if (j->p == start || (j->p - start > 1 && *start == '0')) fail_msg("header JSON: expected an integer");
    return strtoll(start, NULL, 10);
}

static int read_int_array(Json *j, int64_t *out, int max) {
    expect_char(j, '[');
    int n = 0;
    if (peek(j, ']')) {
        j->p++;
        return 0;
    }
    do {
        if (n == max) fail_msg("header JSON: array longer than %d", max);
        out[n++] = read_int(j);
    } while (peek(j, ',') && j->p++);
    expect_char(j, ']');
    return n;
}

static void read_tensor(Json *j, ParsedTensor *t) {
    bool have[3] = {false, false, false};
    expect_char(j, '{');
    do {
        char key[32];
        read_string(j, key, sizeof key);
        expect_char(j, ':');
        if (strcmp(key, "dtype") == 0) {
            read_string(j, t->dtype, sizeof t->dtype);
            have[0] = true;
        } else if (strcmp(key, "shape") == 0) {
            t->ndim = read_int_array(j, t->shape, 8);
            have[1] = true;
        } else if (strcmp(key, "data_offsets") == 0) {
            int64_t offsets[2];
            if (read_int_array(j, offsets, 2) != 2) fail_msg("%s: data_offsets is not [begin, end]", t->name);
            t->begin = offsets[0], t->end = offsets[1];
            have[2] = true;
        } else {
            fail_msg("%s: unexpected key '%s'", t->name, key);
        }
    } while (peek(j, ',') && j->p++);
    expect_char(j, '}');
    if (!have[0] || !have[1] || !have[2]) fail_msg("%s: dtype, shape or data_offsets missing", t->name);
}

static void read_metadata(Json *j, Parsed *f) {
    expect_char(j, '{');
    if (peek(j, '}')) {
        j->p++;
        return;
    }
    do {
        if (f->meta_count == MAX_META) fail_msg("too many metadata entries");
        read_string(j, f->meta_keys[f->meta_count], sizeof f->meta_keys[0]);
        expect_char(j, ':');
        read_string(j, f->meta_values[f->meta_count], sizeof f->meta_values[0]); /* strings only */
        f->meta_count++;
    } while (peek(j, ',') && j->p++);
    expect_char(j, '}');
}

static size_t dtype_bytes(const char *dtype) {
    return strcmp(dtype, "F32") == 0 ? 4 : strcmp(dtype, "I64") == 0 ? 8 : 0;
}

/* Reads and checks the whole file against the safetensors rules. */
static void parse_safetensors(const char *path, Parsed *f) {
    memset(f, 0, sizeof *f);
    size_t size;
    TEST_CHECK(fs_read_file(path, &f->file, &size));
    assert_true(size >= 8);
    uint64_t length = 0;
    for (int b = 0; b < 8; b++) length |= (uint64_t)(unsigned char)f->file[b] << (8 * b);
    assert_true(length <= size - 8);
    assert_int_equal(length % 8, 0); /* padded so the data is 8-aligned */
    Json j = {f->file + 8, f->file + 8 + length};
    assert_int_equal(*j.p, '{');
    expect_char(&j, '{');
    do {
        char name[128];
        read_string(&j, name, sizeof name);
        expect_char(&j, ':');
        if (strcmp(name, "__metadata__") == 0) {
            read_metadata(&j, f);
            continue;
        }
        if (f->count == MAX_TENSORS) fail_msg("too many tensors");
        ParsedTensor *t = &f->tensors[f->count++];
        snprintf(t->name, sizeof t->name, "%s", name);
        read_tensor(&j, t);
    } while (peek(&j, ',') && j.p++);
    expect_char(&j, '}');
    skip_space(&j); /* the spec allows trailing spaces, nothing else */
    assert_true(j.p == j.end);
    f->data = (const unsigned char *)f->file + 8 + length;
    f->data_bytes = size - 8 - length;
    /* Contiguous: sorted by begin, each tensor starts where the previous ended, the last
     * ends at the end of the file, and each spans exactly its dtype x shape. */
    int64_t at = 0;
    for (int n = 0; n < f->count; n++) {
        const ParsedTensor *next = NULL;
        for (int i = 0; i < f->count; i++)
            if (f->tensors[i].begin == at && f->tensors[i].end >= at) next = &f->tensors[i];
        if (!next) fail_msg("no tensor starts at data offset %lld", (long long)at);
        size_t bytes = dtype_bytes(next->dtype);
        if (bytes == 0) fail_msg("%s: unknown dtype %s", next->name, next->dtype);
        for (int d = 0; d < next->ndim; d++) bytes *= (size_t)next->shape[d];
        if ((int64_t)bytes != next->end - next->begin) fail_msg("%s: offsets span %lld bytes, shape needs %zu",
                                                                next->name, (long long)(next->end - next->begin), bytes);
        at = next->end;
    }
    assert_int_equal((size_t)at, f->data_bytes);
}

static const char *meta(const Parsed *f, const char *key) {
    for (int i = 0; i < f->meta_count; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_values[i];
    fail_msg("metadata has no '%s'", key);
    return NULL;
}

static const ParsedTensor *tensor(const Parsed *f, const char *name) {
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

/* ---- runs to export -------------------------------------------------------------------- */

static void write_tiny_dataset(void) {
    size_t bytes;
    uint8_t *images = fixture_idx_images(TINY_IMAGES, TINY_SIZE, TINY_SIZE, &bytes);
    fixture_write(fixture_path("train-images-idx3-ubyte"), images, bytes);
    free(images);
    uint8_t *labels = fixture_idx_labels(TINY_IMAGES, 4, &bytes);
    fixture_write(fixture_path("train-labels-idx1-ubyte"), labels, bytes);
    free(labels);
}

/* A short run of `arch` on the tiny data; returns its checkpoint path. */
static const char *train_tiny(const char *arch, const char *name, int64_t steps) {
    write_tiny_dataset();
    TrainRequest r;
    train_request_defaults(&r);
    static char data[512], out_dir[512], checkpoint[600];
    snprintf(data, sizeof data, "%s", fixture_path("%s", ""));
    snprintf(out_dir, sizeof out_dir, "%s", fixture_path("%s", name));
    r.data_path = data;
    r.out_dir = out_dir;
    r.device = getenv("BYOLCL_TEST_DEVICE");
    r.arch = arch;
    if (strcmp(arch, "small") == 0) r.width = 4;
    r.batch = 4;
    r.proj_hidden = 16;
    r.proj_out = 8;
    r.pred_hidden = 12;
    r.steps = steps;
    r.seed = 5;
    r.quiet = true;
    TEST_CHECK(train_run(&r));
    snprintf(checkpoint, sizeof checkpoint, "%s/checkpoint.ckpt", out_dir);
    return checkpoint;
}

/* The floats a checkpoint section holds. */
static const float *section_floats(const Checkpoint *c, const char *section) {
    const void *data;
    size_t bytes;
    TEST_CHECK(checkpoint_section(c, section, &data, &bytes));
    return data;
}

/* Every F32 tensor holds the checkpoint's values at its arena entry (through the name map),
 * every num_batches_tracked 2 x steps. */
static void assert_values_are_the_checkpoints(const Parsed *f, const char *checkpoint, const char *network,
                                              bool heads, int64_t steps) {
    TrainConfig config;
    TrainProgress progress;
    char made_on[256];
    TEST_CHECK(train_checkpoint_read_config(checkpoint, &config, &progress, made_on, sizeof made_on));
    Checkpoint *c;
    TEST_CHECK(checkpoint_read(checkpoint, &c));
    char params_name[32], state_name[32];
    snprintf(params_name, sizeof params_name, "%s.params", network);
    snprintf(state_name, sizeof state_name, "%s.state", network);
    const float *params = section_floats(c, params_name), *state = section_floats(c, state_name);
    Arena *table;
    Network *net;
    TEST_CHECK(arena_create(&table));
    bool online = strcmp(network, "online") == 0;
    TEST_CHECK(network_build(table, &config.encoder, heads ? &config.projector : NULL,
                             heads && online ? &config.predictor : NULL, &net));
    int bn_count = 0;
    for (int i = 0; i < arena_entry_count(table); i++) {
        const ArenaEntry *e = arena_entry(table, i);
        char name[128];
        TEST_CHECK(export_tensor_name(e->name, name, sizeof name));
        const ParsedTensor *t = tensor(f, name);
        if (!t) fail_msg("the file lacks %s (from %s)", name, e->name);
        assert_string_equal(t->dtype, "F32");
        const float *want = (e->kind == PARAM_BN_STAT ? state : params) + e->offset;
        if (memcmp(f->data + t->begin, want, e->count * sizeof(float)) != 0)
            fail_msg("%s does not hold the checkpoint's %s %s", name, network, e->name);
        bn_count += strstr(name, "running_var") != NULL;
    }
    int tracked = 0;
    for (int i = 0; i < f->count; i++) {
        if (!strstr(f->tensors[i].name, "num_batches_tracked")) continue;
        int64_t value;
        memcpy(&value, f->data + f->tensors[i].begin, sizeof value);
        assert_int_equal(value, 2 * steps);
        tracked++;
    }
    assert_int_equal(tracked, bn_count);
    assert_int_equal(f->count, arena_entry_count(table) + bn_count); /* nothing else */
    network_destroy(net);
    arena_destroy(table);
    checkpoint_free(c);
}

static void export_or_fail(const char *checkpoint, const char *out, bool target, bool heads) {
    ExportRequest r = {.checkpoint = checkpoint, .out = out, .target = target, .with_heads = heads};
    ExportSummary summary;
    TEST_CHECK(export_encoder(&r, &summary));
    assert_true(summary.tensors > 0);
}

static void test_resnet18_has_torchvisions_names_shapes_and_order(void **state) {
    (void)state;
    const char *checkpoint = train_tiny("resnet18", "r18", 1);
    const char *out = fixture_path("r18.safetensors");
    export_or_fail(checkpoint, out, false, false);
    Parsed *f = malloc(sizeof *f);
    parse_safetensors(out, f);
    char fixture[1024];
    snprintf(fixture, sizeof fixture, "%s/tests/fixtures/torchvision_resnet18_state_dict.txt",
             getenv("BYOLCL_SOURCE_DIR") ? getenv("BYOLCL_SOURCE_DIR") : ".");
    FILE *in = fopen(fixture, "r");
    if (!in) fail_msg("cannot read %s", fixture);
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, in)) {
        if (line[0] == '#') continue;
        char name[128], dtype[8], shape[64], got_shape[64] = "";
        assert_int_equal(sscanf(line, "%127s %7s %63s", name, dtype, shape), 3);
        if (n >= f->count) fail_msg("the export has %d tensors, torchvision more (%s)", f->count, name);
        const ParsedTensor *t = &f->tensors[n++]; /* the same order as torchvision's state_dict() */
        for (int d = 0; d < t->ndim; d++)
            snprintf(got_shape + strlen(got_shape), sizeof got_shape - strlen(got_shape), "%s%lld", d ? "," : "",
                     (long long)t->shape[d]);
        if (t->ndim == 0) snprintf(got_shape, sizeof got_shape, "-");
        if (strcmp(t->name, name) || strcmp(t->dtype, dtype) || strcmp(got_shape, shape))
            fail_msg("tensor %d: export has %s %s %s, torchvision %s %s %s", n - 1, t->name, t->dtype, got_shape,
                     name, dtype, shape);
    }
    fclose(in);
    assert_int_equal(n, f->count);
    assert_int_equal(n, 120); /* 20 convolutions, 20 BatchNorms of 5 tensors */
    assert_string_equal(meta(f, "architecture"), "resnet18");
    assert_string_equal(meta(f, "width"), "64");
    assert_string_equal(meta(f, "stem"), "3x3");
    assert_string_equal(meta(f, "input_size"), "12");
    assert_string_equal(meta(f, "input_channels"), "1");
    assert_string_equal(meta(f, "method"), "byol");
    assert_string_equal(meta(f, "part"), "online");
    assert_string_equal(meta(f, "steps_trained"), "1");
    assert_string_equal(meta(f, "byolcl_version"), BYOLCL_VERSION);
    assert_string_equal(meta(f, "feature_dim"), "512");
    assert_true(strtod(meta(f, "std"), NULL) > 0 && strtod(meta(f, "mean"), NULL) > 0);
    assert_values_are_the_checkpoints(f, checkpoint, "online", false, 1);
    free(f->file);
    free(f);
}

static void test_small_target_with_heads(void **state) {
    (void)state;
    const char *checkpoint = train_tiny("small", "small", 3);
    Parsed *f = malloc(sizeof *f);
    const char *out = fixture_path("target.safetensors");
    export_or_fail(checkpoint, out, true, true);
    parse_safetensors(out, f);
    assert_non_null(tensor(f, "layer4.0.downsample.0.weight"));
    assert_null(tensor(f, "layer1.0.downsample.0.weight")); /* same width: identity shortcut */
    const ParsedTensor *fc = tensor(f, "projector.3.weight");
    assert_non_null(fc);
    assert_int_equal(fc->ndim, 2);
    assert_int_equal(fc->shape[0], 8);
    assert_int_equal(fc->shape[1], 16);
    assert_null(tensor(f, "predictor.0.weight")); /* the target network has none */
    assert_string_equal(meta(f, "part"), "target");
    assert_string_equal(meta(f, "projector"), "32,16,8"); /* width 4, four stages: 32 features */
    assert_values_are_the_checkpoints(f, checkpoint, "target", true, 3);
    free(f->file);
    /* The online network with heads has the predictor too, and differs from the target. */
    out = fixture_path("online.safetensors");
    export_or_fail(checkpoint, out, false, true);
    parse_safetensors(out, f);
    assert_non_null(tensor(f, "predictor.1.running_var"));
    assert_string_equal(meta(f, "predictor"), "8,12,8");
    assert_values_are_the_checkpoints(f, checkpoint, "online", true, 3);
    free(f->file);
    free(f);
}

static void test_tensor_names(void **state) {
    (void)state;
    static const char *pairs[][2] = {
        {"encoder.stem.conv.weight", "conv1.weight"},
        {"encoder.stem.bn.running_var", "bn1.running_var"},
        {"encoder.stage1.block0.1.conv.weight", "layer1.0.conv1.weight"},
        {"encoder.stage3.block5.3.bn.bias", "layer3.5.bn3.bias"},
        {"encoder.stage2.block0.shortcut.conv.weight", "layer2.0.downsample.0.weight"},
        {"encoder.stage2.block0.shortcut.bn.running_mean", "layer2.0.downsample.1.running_mean"},
        {"projector.fc1.bias", "projector.0.bias"},
        {"projector.bn.weight", "projector.1.weight"},
        {"predictor.fc2.weight", "predictor.3.weight"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char got[128];
        TEST_CHECK(export_tensor_name(pairs[i][0], got, sizeof got));
        assert_string_equal(got, pairs[i][1]);
    }
    char got[128];
    assert_int_equal(export_tensor_name("encoder.stage1.block0.x.conv.weight", got, sizeof got), BC_ERR_FORMAT);
    assert_int_equal(export_tensor_name("head.fc1.weight", got, sizeof got), BC_ERR_FORMAT);
    assert_int_equal(export_tensor_name("projector.fc9.weight", got, sizeof got), BC_ERR_FORMAT);
}

/* ---- .npy ---------------------------------------------------------------------------- */

/* Checks a .npy file's version 1.0 header and returns the file, its dict text, and where
 * the data starts and how long it is. */
static char *read_npy(const char *path, char *dict, size_t cap, size_t *data_at, size_t *data_bytes) {
    char *file;
    size_t size;
    TEST_CHECK(fs_read_file(path, &file, &size));
    assert_true(size >= 10);
    assert_memory_equal(file, "\x93NUMPY\x01\x00", 8);
    size_t header = (size_t)(unsigned char)file[8] | (size_t)(unsigned char)file[9] << 8;
    assert_true(10 + header <= size);
    assert_int_equal((10 + header) % 64, 0);
    assert_int_equal(file[10 + header - 1], '\n');
    size_t text = header - 1;
    while (text > 0 && file[10 + text - 1] == ' ') text--;
    assert_true(text < cap);
    memcpy(dict, file + 10, text);
    dict[text] = '\0';
    *data_at = 10 + header;
    *data_bytes = size - 10 - header;
    return file;
}

static void test_npy_headers(void **state) {
    (void)state;
    char dict[256];
    size_t at, bytes;
    float values[15];
    for (int i = 0; i < 15; i++) values[i] = (float)i * 0.5f;
    size_t shape[2] = {3, 5};
    TEST_CHECK(npy_write(fixture_path("a.npy"), "<f4", 4, shape, 2, values));
    char *file = read_npy(fixture_path("a.npy"), dict, sizeof dict, &at, &bytes);
    assert_string_equal(dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }");
    assert_int_equal(bytes, sizeof values);
    assert_memory_equal(file + at, values, sizeof values);
    free(file);
    int64_t labels[7] = {0, 1, 2, 3, 4, 5, 6};
    size_t count = 7;
    TEST_CHECK(npy_write(fixture_path("b.npy"), "<i8", 8, &count, 1, labels));
    file = read_npy(fixture_path("b.npy"), dict, sizeof dict, &at, &bytes);
    assert_string_equal(dict, "{'descr': '<i8', 'fortran_order': False, 'shape': (7,), }");
    assert_int_equal(bytes, sizeof labels);
    assert_memory_equal(file + at, labels, sizeof labels);
    free(file);
}

static FeaturesRequest features_request(const char *checkpoint) {
    return (FeaturesRequest){.checkpoint = checkpoint, .data_path = fixture_path("%s", ""),
                             .device = getenv("BYOLCL_TEST_DEVICE") ? getenv("BYOLCL_TEST_DEVICE") : device_default_selector(),
                             .split = DATASET_TRAIN, .out = fixture_path("feats.npy"),
                             .labels_out = fixture_path("labels.npy"), .batch = 7};
}

static void test_features_files(void **state) {
    (void)state;
    const char *checkpoint = train_tiny("small", "small", 2);
    FeaturesRequest r = features_request(checkpoint);
    FeaturesSummary summary;
    TEST_CHECK(features_export(&r, &summary));
    assert_int_equal(summary.count, TINY_IMAGES);
    assert_int_equal(summary.dim, 32); /* width 4, four stages */
    assert_true(summary.labels_written);
    char dict[256], want[256];
    size_t at, bytes;
    char *file = read_npy(r.out, dict, sizeof dict, &at, &bytes);
    snprintf(want, sizeof want, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, 32), }", TINY_IMAGES);
    assert_string_equal(dict, want);
    assert_int_equal(bytes, TINY_IMAGES * 32 * sizeof(float));
    free(file);
    file = read_npy(r.labels_out, dict, sizeof dict, &at, &bytes);
    snprintf(want, sizeof want, "{'descr': '<i8', 'fortran_order': False, 'shape': (%d,), }", TINY_IMAGES);
    assert_string_equal(dict, want);
    for (int i = 0; i < TINY_IMAGES; i++) {
        int64_t label;
        memcpy(&label, file + at + (size_t)i * 8, 8);
        assert_int_equal(label, i % 4); /* fixture_idx_labels' pattern */
    }
    free(file);
}

/* ---- bad input ------------------------------------------------------------------------ */

/* No file of the folder holds `needle` in its name (no output, no temporary left). */
static void assert_no_file_like(const char *folder, const char *needle) {
    DIR *d = opendir(folder);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, needle)) fail_msg("%s/%s was written", folder, e->d_name);
    closedir(d);
}

static void test_bad_input_writes_nothing(void **state) {
    (void)state;
    const char *checkpoint = train_tiny("small", "small", 1);
    ExportSummary summary;
    ExportRequest r = {.checkpoint = fixture_path("nowhere.ckpt"), .out = fixture_path("out.safetensors")};
    assert_int_equal(export_encoder(&r, &summary), BC_ERR_IO);
    assert_non_null(strstr(error_last(), "nowhere.ckpt"));
    /* Corrupt: one byte flipped in the middle. */
    char *bytes;
    size_t size;
    TEST_CHECK(fs_read_file(checkpoint, &bytes, &size));
    bytes[size / 2] ^= 0x40;
    fixture_write(fixture_path("corrupt.ckpt"), bytes, size);
    free(bytes);
    r.checkpoint = fixture_path("corrupt.ckpt");
    assert_int_equal(export_encoder(&r, &summary), BC_ERR_FORMAT);
    assert_non_null(strstr(error_last(), "corrupt.ckpt"));
    /* Not a checkpoint at all. */
    fixture_write(fixture_path("text.ckpt"), "hello", 5);
    r.checkpoint = fixture_path("text.ckpt");
    assert_int_equal(export_encoder(&r, &summary), BC_ERR_FORMAT);
    assert_non_null(strstr(error_last(), "text.ckpt"));
    /* Unwritable: a folder that does not exist. */
    r.checkpoint = checkpoint;
    r.out = fixture_path("no-such-folder/out.safetensors");
    assert_int_equal(export_encoder(&r, &summary), BC_ERR_IO);
    assert_non_null(strstr(error_last(), "--out"));
    assert_no_file_like(fixture_root, "out.safetensors");

    FeaturesSummary fs;
    FeaturesRequest f = features_request(fixture_path("nowhere.ckpt"));
    assert_int_equal(features_export(&f, &fs), BC_ERR_IO);
    f.checkpoint = fixture_path("corrupt.ckpt");
    assert_int_equal(features_export(&f, &fs), BC_ERR_FORMAT);
    assert_non_null(strstr(error_last(), "corrupt.ckpt"));
    f.checkpoint = checkpoint;
    f.out = fixture_path("no-such-folder/feats.npy");
    assert_int_equal(features_export(&f, &fs), BC_ERR_IO);
    assert_non_null(strstr(error_last(), "--out"));
    f.out = fixture_path("feats.npy");
    f.labels_out = fixture_path("no-such-folder/labels.npy");
    assert_int_equal(features_export(&f, &fs), BC_ERR_IO);
    assert_non_null(strstr(error_last(), "--labels"));
    assert_no_file_like(fixture_root, ".npy");
}

#define EXPORT_TEST(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void) {
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tensor_names),
        EXPORT_TEST(test_npy_headers),
        EXPORT_TEST(test_resnet18_has_torchvisions_names_shapes_and_order),
        EXPORT_TEST(test_small_target_with_heads),
        EXPORT_TEST(test_features_files),
        EXPORT_TEST(test_bad_input_writes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
