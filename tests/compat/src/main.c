#include <stdio.h>
#include <stdlib.h>
#include "calc.h"
int main(int argc, char **argv) { printf("%d\n", mul(atoi(argv[1]), atoi(argv[2]))); return 0; }
