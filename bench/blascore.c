/* Prints the name of the kernel set OpenBLAS chose for this CPU (e.g. Haswell, SkylakeX, or
 * Prescott when it does not recognise the processor). Used by bench/run.sh and the demo. */
#include <stdio.h>

char *openblas_get_corename(void);

int main(void)
{
    printf("%s\n", openblas_get_corename());
    return 0;
}
