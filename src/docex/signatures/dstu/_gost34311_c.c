/*
 * GOST 34.311-95 block compression, the optional fast path of docex.signatures.dstu.gost34311.
 *
 * The Python module is the reference and stays complete on its own: this extension is built
 * only when a C compiler is at hand (setup.py marks it optional), and the tests check both
 * give the same digests. It knows no S-box: the caller passes the four 256-entry round tables
 * (substitution and the 11-bit rotation folded in, gost34311._round_tables), so every DKE the
 * Python code accepts works here unchanged.
 *
 * Layout, as in the Python code: the chaining value, the block and the control sum are
 * little-endian 256-bit numbers; 64-bit quarter j is bytes 8j..8j+7; 16-bit word i of the
 * mixing is bytes 2i, 2i+1.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static const uint8_t C3[32] = {
    0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00,
    0x00, 0xff, 0xff, 0x00, 0xff, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0xff,
};

typedef struct {
    uint32_t t[4][256];
} tables_t;

static inline uint32_t round_f(const tables_t *tb, uint32_t x) {
    return tb->t[0][x & 255] | tb->t[1][(x >> 8) & 255] | tb->t[2][(x >> 16) & 255] |
           tb->t[3][x >> 24];
}

/* GOST 28147-89 simple replacement of the 8 bytes at in (little-endian) under key words k. */
static void encrypt(const tables_t *tb, const uint32_t k[8], const uint8_t in[8], uint8_t out[8]) {
    uint32_t n0 = (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
                  (uint32_t)in[3] << 24;
    uint32_t n1 = (uint32_t)in[4] | (uint32_t)in[5] << 8 | (uint32_t)in[6] << 16 |
                  (uint32_t)in[7] << 24;
    for (int r = 0; r < 3; r++) {
        for (int i = 0; i < 8; i += 2) {
            n1 ^= round_f(tb, n0 + k[i]);
            n0 ^= round_f(tb, n1 + k[i + 1]);
        }
    }
    for (int i = 7; i > 0; i -= 2) {
        n1 ^= round_f(tb, n0 + k[i]);
        n0 ^= round_f(tb, n1 + k[i - 1]);
    }
    /* The result is n1 | n0 << 32. */
    for (int b = 0; b < 4; b++) {
        out[b] = (uint8_t)(n1 >> (8 * b));
        out[4 + b] = (uint8_t)(n0 >> (8 * b));
    }
}

/* A(y4||y3||y2||y1) = (y1 xor y2)||y4||y3||y2 on 64-bit quarters. */
static void transform_a(uint8_t y[32]) {
    uint8_t first[8];
    for (int b = 0; b < 8; b++) first[b] = y[b] ^ y[8 + b];
    memmove(y, y + 8, 24);
    memcpy(y + 24, first, 8);
}

/* The key P(y): key word i is bytes i, i+8, i+16, i+24 of y. */
static void key_words(const uint8_t y[32], uint32_t k[8]) {
    for (int i = 0; i < 8; i++) {
        k[i] = (uint32_t)y[i] | (uint32_t)y[i + 8] << 8 | (uint32_t)y[i + 16] << 16 |
               (uint32_t)y[i + 24] << 24;
    }
}

/* psi as a linear recurrence on 16-bit words: psi^k(y) is words k..k+15 of the sequence
 * w[t+16] = w[t] ^ w[t+1] ^ w[t+2] ^ w[t+3] ^ w[t+12] ^ w[t+15]; extends w[from..from+15]
 * by `times` words. */
static void extend(uint16_t *w, int from, int times) {
    for (int t = from; t < from + times; t++) {
        w[t + 16] = w[t] ^ w[t + 1] ^ w[t + 2] ^ w[t + 3] ^ w[t + 12] ^ w[t + 15];
    }
}

static void load_words(const uint8_t b[32], uint16_t w[16]) {
    for (int i = 0; i < 16; i++) w[i] = (uint16_t)(b[2 * i] | b[2 * i + 1] << 8);
}

static void compress(const tables_t *tb, uint8_t h[32], const uint8_t m[32]) {
    uint8_t u[32], v[32], key[32], s[32];
    uint32_t k[8];
    memcpy(u, h, 32);
    memcpy(v, m, 32);
    for (int j = 0; j < 4; j++) {
        if (j > 0) {
            transform_a(u);
            if (j == 2) {
                for (int b = 0; b < 32; b++) u[b] ^= C3[b];
            }
            transform_a(v);
            transform_a(v);
        }
        for (int b = 0; b < 32; b++) key[b] = u[b] ^ v[b];
        key_words(key, k);
        encrypt(tb, k, h + 8 * j, s + 8 * j);
    }
    /* psi^61(h xor psi(m xor psi^12(s))): 12 + 1 + 61 steps of the recurrence */
    uint16_t w[16 + 74], wm[16], wh[16];
    load_words(s, w);
    load_words(m, wm);
    load_words(h, wh);
    extend(w, 0, 12);
    for (int i = 0; i < 16; i++) w[12 + i] ^= wm[i];
    extend(w, 12, 1);
    for (int i = 0; i < 16; i++) w[13 + i] ^= wh[i];
    extend(w, 13, 61);
    for (int i = 0; i < 16; i++) {
        h[2 * i] = (uint8_t)w[74 + i];
        h[2 * i + 1] = (uint8_t)(w[74 + i] >> 8);
    }
}

static void add256(uint8_t sum[32], const uint8_t m[32]) {
    unsigned carry = 0;
    for (int b = 0; b < 32; b++) {
        unsigned t = (unsigned)sum[b] + m[b] + carry;
        sum[b] = (uint8_t)t;
        carry = t >> 8;
    }
}

static int load_tables(Py_buffer *buf, tables_t *tb) {
    if (buf->len != (Py_ssize_t)sizeof(tb->t)) {
        PyErr_Format(PyExc_ValueError, "round tables must be %zu bytes", sizeof(tb->t));
        return -1;
    }
    const uint8_t *p = buf->buf;
    for (int t = 0; t < 4; t++) {
        for (int i = 0; i < 256; i++, p += 4) {
            tb->t[t][i] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                          (uint32_t)p[3] << 24;
        }
    }
    return 0;
}

/* blocks(tables, h, total, data) -> (h, total): every 32-byte block of data compressed into h
 * and added to the control sum. */
static PyObject *blocks(PyObject *self, PyObject *args) {
    Py_buffer tables_buf, h_buf, sum_buf, data_buf;
    if (!PyArg_ParseTuple(args, "y*y*y*y*", &tables_buf, &h_buf, &sum_buf, &data_buf)) {
        return NULL;
    }
    PyObject *result = NULL;
    tables_t tb;
    uint8_t h[32], sum[32];
    if (load_tables(&tables_buf, &tb) < 0) goto done;
    if (h_buf.len != 32 || sum_buf.len != 32 || data_buf.len % 32 != 0) {
        PyErr_SetString(PyExc_ValueError, "h and total take 32 bytes, data whole blocks");
        goto done;
    }
    memcpy(h, h_buf.buf, 32);
    memcpy(sum, sum_buf.buf, 32);
    const uint8_t *data = data_buf.buf;
    Py_ssize_t length = data_buf.len;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t off = 0; off < length; off += 32) {
        compress(&tb, h, data + off);
        add256(sum, data + off);
    }
    Py_END_ALLOW_THREADS
    result = Py_BuildValue("y#y#", (const char *)h, (Py_ssize_t)32, (const char *)sum,
                           (Py_ssize_t)32);
done:
    PyBuffer_Release(&tables_buf);
    PyBuffer_Release(&h_buf);
    PyBuffer_Release(&sum_buf);
    PyBuffer_Release(&data_buf);
    return result;
}

static PyMethodDef methods[] = {
    {"blocks", blocks, METH_VARARGS,
     "blocks(tables, h, total, data) -> (h, total): compress whole 32-byte blocks."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_gost34311_c", "GOST 34.311-95 block compression (optional).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__gost34311_c(void) { return PyModule_Create(&module); }
