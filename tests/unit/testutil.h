/* testutil.h - what every unit test includes: cmocka and a few helpers. */
#ifndef SL_TESTUTIL_H
#define SL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define STRLEN_ARGS(s) (s), strlen(s)

#endif
