/*
 * asan_preload.c
 *      Preloaded after gcc's libasan by `make test-asan` (tools/test.sh).
 *
 * PostgreSQL's binaries are not built with ASan, so the runtime is preloaded
 * and initialises itself on the first malloc.  On Debian 12 that first malloc
 * happens in a library constructor while glibc holds a locale or gettext lock
 * (libgpg-error's bindtextdomain, libp11-kit's newlocale).  The runtime's
 * initialisation looks up the optional symbol swift_demangle and clears the
 * lookup failure with dlerror(), which translates the message with gettext
 * and so takes the same lock again: the lock is corrupted and the process
 * deadlocks later (postgres -V hangs).  Defining the symbol makes the lookup
 * succeed, so dlerror() has nothing to translate.
 */
#include <stddef.h>
#include <stdint.h>

char       *swift_demangle(const char *mangled, size_t len, char *out,
                           size_t *outlen, uint32_t flags);

/* No Swift names here: NULL tells the runtime to demangle as C++. */
char *
swift_demangle(const char *mangled, size_t len, char *out, size_t *outlen,
               uint32_t flags)
{
    (void) mangled;
    (void) len;
    (void) out;
    (void) outlen;
    (void) flags;
    return NULL;
}
