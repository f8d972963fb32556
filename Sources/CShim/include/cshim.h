// The few kernel interfaces the initrd's init cannot call from Swift: a variadic syscall and
// ioctls whose argument is a C struct the kernel defines. Every name starts with `hostimg_`;
// every function returns 0 or a negative errno (never sets errno for the caller to read).
#ifndef HOSTIMG_CSHIM_H
#define HOSTIMG_CSHIM_H

#include <stdint.h>

/// finit_module(2): load the kernel module open on `fd` with parameters `params` ("" for
/// none). `flags` takes MODULE_INIT_* (HOSTIMG_MODULE_INIT_COMPRESSED_FILE for .ko.xz/.zst).
int hostimg_finit_module(int fd, const char *params, int flags);

/// MODULE_INIT_COMPRESSED_FILE from <linux/module.h> (Linux 5.17+): the kernel decompresses.
#define HOSTIMG_MODULE_INIT_COMPRESSED_FILE 4

/// makedev(3) as a plain function (glibc defines it as a macro Swift cannot always import).
uint64_t hostimg_makedev(unsigned int major, unsigned int minor);

/// reboot(2) actions (RB_* from <sys/reboot.h>, which the Glibc module does not import).
enum hostimg_reboot_action { HOSTIMG_REBOOT_POWER_OFF = 1, HOSTIMG_REBOOT_RESTART = 2 };
int hostimg_reboot(enum hostimg_reboot_action action);

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

#endif
