/* libFuzzer harness: the cfg parser. The input is a cfg file; parse_network_cfg builds the network
 * with every strict check (patches 0505, 0514, src/check_cfg.c) and frees it. The seeds
 * (corpus/cfg/) are the repository's cfgs, every upstream cfg's sections and [ternary] variants.
 * An exit (a rejected cfg) is a pass; a signal, sanitizer report or hang is a failure. */
#include "fuzz.h"
#include "darknet.h"

static void parse(void *path)
{
    network *net = parse_network_cfg((char *)path);
    free_network(net);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write("in.cfg", data, size);
    fuzz_guard(parse, (void *)fuzz_path("in.cfg"));
    return 0;
}
