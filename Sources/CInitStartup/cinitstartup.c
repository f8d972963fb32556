// The statically linked init's Swift runtime, at start-up, looks for its crash backtracer
// (swift-backtrace) relative to the program's own path, which a statically linked program
// learns from /proc/self/exe, and the kernel starts the initrd's /init before anything has
// mounted /proc: the runtime then stops the program ("Unable to obtain Swift runtime path")
// and the kernel panics because init died. Naming the backtracer in SWIFT_BACKTRACE skips
// the lookup; there is none in an initrd, so crash backtraces are off either way. A
// constructor of priority 101 runs before the runtime's own initializers, which have the
// default priority.
#include <stdlib.h>

#include "cinitstartup.h"

static int hostimg_init_set_backtrace;

__attribute__((constructor(101))) static void hostimg_init_startup(void) {
    if (getenv("SWIFT_BACKTRACE") == NULL) {
        setenv("SWIFT_BACKTRACE", "enable=no,swift-backtrace=/nonexistent/swift-backtrace", 0);
        hostimg_init_set_backtrace = 1;
    }
}

void hostimg_init_startup_finish(void) {
    if (hostimg_init_set_backtrace) {
        unsetenv("SWIFT_BACKTRACE");
        hostimg_init_set_backtrace = 0;
    }
}
