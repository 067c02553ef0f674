#include <assert.h>
#include <stdio.h>
#include "calc.h"
int main(void) { assert(add(2, 3) == 5); assert(mul(6, 7) == 42); puts("calc tests passed"); return 0; }
