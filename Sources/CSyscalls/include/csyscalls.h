// The few kernel interfaces Swift cannot call directly: syscalls glibc has no wrapper for
// (finit_module, kexec_file_load), ioctls whose request number is a function-like macro
// (_IO/_IOR) or whose argument is a C struct the kernel defines, and macros (makedev, RB_*).
// Only the SystemIO module imports this target. Every name starts with `hostimg_`; every
// function returns 0 or a negative errno (never sets errno for the caller to read).
#ifndef HOSTIMG_CSYSCALLS_H
#define HOSTIMG_CSYSCALLS_H

#include <stdint.h>

/// finit_module(2): load the kernel module open on `fd` with parameters `params` ("" for
/// none). `flags` takes MODULE_INIT_* (HOSTIMG_MODULE_INIT_COMPRESSED_FILE for .ko.xz/.zst).
int hostimg_finit_module(int fd, const char *params, int flags);

/// MODULE_INIT_COMPRESSED_FILE from <linux/module.h> (Linux 5.17+): the kernel decompresses.
#define HOSTIMG_MODULE_INIT_COMPRESSED_FILE 4

/// makedev(3) as a plain function (glibc defines it as a macro Swift cannot always import).
uint64_t hostimg_makedev(unsigned int major, unsigned int minor);

/// reboot(2) actions (RB_* from <sys/reboot.h>, which the Glibc module does not import):
/// RB_POWER_OFF, RB_AUTOBOOT and RB_KEXEC (boot the kernel kexec_file_load loaded).
enum hostimg_reboot_action {
    HOSTIMG_REBOOT_POWER_OFF = 1,
    HOSTIMG_REBOOT_RESTART = 2,
    HOSTIMG_REBOOT_KEXEC = 3,
};
int hostimg_reboot(enum hostimg_reboot_action action);

/// kexec_file_load(2) (syscall SYS_kexec_file_load; glibc has no wrapper): load the kernel
/// open on `kernel_fd` and the initrd on `initrd_fd` (-1 for none, which adds
/// KEXEC_FILE_NO_INITRAMFS) with `cmdline` for a later reboot(RB_KEXEC). `flags` takes
/// KEXEC_FILE_* from <linux/kexec.h>. The kernel checks the image's signature when
/// CONFIG_KEXEC_SIG is set, so a failure here costs nothing yet.
int hostimg_kexec_file_load(int kernel_fd, int initrd_fd, const char *cmdline, unsigned long flags);

/// KEXEC_FILE_UNLOAD from <linux/kexec.h>: unload what was loaded instead of loading.
#define HOSTIMG_KEXEC_FILE_UNLOAD 1

/// Watchdog devices (<linux/watchdog.h>): WDIOC_SETTIMEOUT sets the timeout in seconds
/// (the driver may round it; `*seconds` comes back as set), WDIOC_KEEPALIVE pets it.
int hostimg_watchdog_set_timeout(int fd, int *seconds);
int hostimg_watchdog_keepalive(int fd);

// Block devices (<linux/fs.h>): their request numbers are _IO/_IOR macros Swift cannot import.

/// BLKGETSIZE64: the device's size in bytes (st_size of a block device is 0).
int hostimg_block_size(int fd, uint64_t *bytes);

/// BLKSSZGET: the logical sector size, the unit of LBAs in the partition table (512 or 4096).
int hostimg_block_logical_sector_size(int fd, uint32_t *bytes);

/// BLKRRPART: have the kernel re-read the partition table. EBUSY while any partition of the
/// disk is open (mounted, or held by device-mapper).
int hostimg_block_reread_partitions(int fd);

/// statfs(2)'s f_type for `path` (e.g. RAMFS_MAGIC, TMPFS_MAGIC) into `type`.
int hostimg_filesystem_type(const char *path, uint64_t *type);

// Device-mapper through /dev/mapper/control (<linux/dm-ioctl.h>). `control` is an open file
// descriptor of /dev/mapper/control. A device is created, a table is loaded into its inactive
// slot, then a resume makes the table live: what `dmsetup create` does in three ioctls.

/// DM_DEV_CREATE: create the mapped device `name` with no table. Writes its dev_t numbers.
int hostimg_dm_create(int control, const char *name, const char *uuid, unsigned int *major,
                      unsigned int *minor);

/// DM_TABLE_LOAD with one target `type` (e.g. "verity") covering sectors
/// [start, start + length) with the target's `params`; `read_only` sets DM_READONLY_FLAG.
int hostimg_dm_load_table(int control, const char *name, uint64_t start, uint64_t length,
                          const char *type, const char *params, int read_only);

/// DM_DEV_SUSPEND without DM_SUSPEND_FLAG: resume, making the loaded table live. Writes the
/// dev_t numbers the kernel reports.
int hostimg_dm_resume(int control, const char *name, unsigned int *major, unsigned int *minor);

/// DM_DEV_REMOVE: undo a create whose table could not be loaded or resumed.
int hostimg_dm_remove(int control, const char *name);

// Processes and Unix sockets (QMP, VMM): what needs _GNU_SOURCE (struct ucred,
// POSIX_SPAWN_SETSID) or has no glibc wrapper Swift can import (pidfd_open,
// pidfd_send_signal).

/// getsockopt(SO_PEERCRED): the process, user and group on the other end of a connected
/// Unix socket, as they were when it called connect(2) or listen(2).
int hostimg_peer_credentials(int fd, int32_t *pid, uint32_t *uid, uint32_t *gid);

/// pidfd_open(2) (Linux 5.3+): a descriptor of process `pid`, close-on-exec, that poll(2)
/// reports readable once the process has exited. Returns the descriptor or a negative errno.
int hostimg_pidfd_open(int32_t pid);

/// pidfd_send_signal(2): `signal` to the process `pidfd` names (never to a process that
/// reused its pid).
int hostimg_pidfd_send_signal(int pidfd, int signal);

/// POSIX_SPAWN_SETSID for posix_spawnattr_setflags(3): the child starts a new session.
short hostimg_posix_spawn_setsid_flag(void);

#endif  // HOSTIMG_CSYSCALLS_H
