/*
 * A HotSpot disassembler plugin (hsdis) for -XX:+PrintAssembly that hands the code to binutils'
 * objdump. Debian's libhsdis0-fcml implements only the pre-JDK-9 entry point, and capstone 4 stops
 * at AVX-512 instructions with the upper 16 registers; objdump decodes all of them.
 *
 * Development tool only: nothing in lens4j loads it. Build and install with build-hsdis.sh.
 *
 * The JDK calls decode_instructions_virtual once per code blob; this writes the bytes to a
 * temporary file, runs objdump on it at the blob's address, and reports each instruction through
 * the JDK's callbacks ("insn" before, "/insn" after, so the JDK can interleave its own comments).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef void *(*event_callback_t)(void *stream, const char *event, void *arg);
typedef int (*printf_callback_t)(void *stream, const char *format, ...);

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_callback_t event, void *event_stream, printf_callback_t out,
                                  void *out_stream, const char *options, int newline) {
    (void) end_va;
    (void) options;
    char path[] = "/tmp/hsdis-objdump-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        return NULL;
    }
    if (write(fd, buffer, length) != (ssize_t) length) {
        close(fd);
        unlink(path);
        return NULL;
    }
    close(fd);
    char command[512];
    snprintf(command, sizeof command,
             "objdump -D -b binary -mi386:x86-64 -M intel --no-show-raw-insn --adjust-vma=0x%lx %s",
             (unsigned long) start_va, path);
    FILE *in = popen(command, "r");
    if (in == NULL) {
        unlink(path);
        return NULL;
    }
    size_t capacity = 1024, count = 0;
    uint64_t *addresses = malloc(capacity * sizeof *addresses);
    char **texts = malloc(capacity * sizeof *texts);
    char line[1024];
    while (fgets(line, sizeof line, in) != NULL) {
        /* instruction lines look like "   7f00001234:\tvfmadd231ps zmm0,zmm1,zmm2" */
        char *colon = strchr(line, ':');
        if (colon == NULL || colon[1] != '\t') {
            continue;
        }
        char *end;
        uint64_t address = strtoull(line, &end, 16);
        if (end != colon) {
            continue;
        }
        char *text = colon + 2;
        size_t n = strlen(text);
        while (n > 0 && text[n - 1] == '\n') {
            text[--n] = '\0';
        }
        if (count == capacity) {
            capacity *= 2;
            addresses = realloc(addresses, capacity * sizeof *addresses);
            texts = realloc(texts, capacity * sizeof *texts);
        }
        addresses[count] = address;
        texts[count] = strdup(text);
        count++;
    }
    pclose(in);
    unlink(path);
    for (size_t i = 0; i < count; i++) {
        uint64_t next = i + 1 < count ? addresses[i + 1] : start_va + length;
        if (event != NULL) {
            event(event_stream, "insn", (void *) (uintptr_t) addresses[i]);
        }
        out(out_stream, "%s", texts[i]);
        if (event != NULL) {
            event(event_stream, "/insn", (void *) (uintptr_t) next);
        }
        if (newline) {
            out(out_stream, "\n");
        }
        free(texts[i]);
    }
    free(addresses);
    free(texts);
    return (void *) (start_va + length);
}
