/* main.c - placeholder until the CLI lands. */
#include <stdio.h>
int main(void)
{
    puts("sluice " SLUICE_VERSION);
    return 0;
}
