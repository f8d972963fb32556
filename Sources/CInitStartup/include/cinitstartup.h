// hostimg-init's start-up, before any Swift code runs (Sources/CInitStartup/cinitstartup.c).
// Only the hostimg-init executable links this target.
#ifndef HOSTIMG_CINITSTARTUP_H
#define HOSTIMG_CINITSTARTUP_H

/// Takes back what the start-up put into the environment (SWIFT_BACKTRACE, when the kernel
/// passed none), so the host's init inherits the environment the kernel gave. Call once,
/// first thing in main: the Swift runtime read the variable before main.
void hostimg_init_startup_finish(void);

#endif  // HOSTIMG_CINITSTARTUP_H
