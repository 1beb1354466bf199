/* pp_jscan_special (16 bytes at a step) against the byte-by-byte
 * answer, on every placement of each kind of byte that matters in 1-48
 * byte runs, and on random bytes. Prints "N ok" or the first
 * disagreement; exits 1 on one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jscan.h"

static int
special(unsigned char c)
{
	return c == '"' || c == '\\' || c < 0x20;
}

/* byte by byte: the first special byte, or e */
static const char *
slow(const char *p, const char *e)
{
	while (p < e && !special((unsigned char)*p))
		p++;
	return p;
}

/* pp_jscan_special as a string reader uses it: stop at a special byte
 * or read the rest one by one */
static const char *
fast(const char *p, const char *e)
{
	for (;;) {
		p = pp_jscan_special(p, e);
		if (p >= e || special((unsigned char)*p))
			return p;
		p++;
	}
}

static int
agree(const char *b, size_t n, unsigned long *count)
{
	const char *a = slow(b, b + n), *f = fast(b, b + n);

	(*count)++;
	if (a != f) {
		printf("disagree at length %zu: byte-by-byte %td, fast %td\n",
			n, a - b, f - b);
		return 0;
	}
	return 1;
}

int
main(void)
{
	static const unsigned char kinds[] = {'"', '\\', 0x00, 0x1f, 0x20,
		0x7f, 0x80, 0xff, 'a'};
	char b[64];
	unsigned long count = 0;

	for (size_t n = 1; n <= 48; n++)
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < sizeof kinds; k++) {
				memset(b, 'x', sizeof b);
				b[i] = (char)kinds[k];
				if (!agree(b, n, &count))
					return 1;
				/* and a second special byte after it */
				if (i + 1 < n) {
					b[n - 1] = '"';
					if (!agree(b, n, &count))
						return 1;
				}
			}
	srand(17);
	for (int r = 0; r < 200000; r++) {
		size_t n = (size_t)(rand() % 64);

		for (size_t i = 0; i < n; i++)
			/* mostly bytes that do not matter */
			b[i] = (char)(rand() % 8 ? 0x20 + rand() % 224 :
				rand() % 256);
		if (!agree(b, n, &count))
			return 1;
	}
	printf("%lu ok\n", count);
	return 0;
}
