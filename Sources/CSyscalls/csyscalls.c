// struct ucred and POSIX_SPAWN_SETSID are GNU extensions.
#define _GNU_SOURCE
#include "csyscalls.h"

#include <errno.h>
#include <spawn.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <linux/kexec.h>
#include <linux/watchdog.h>

int hostimg_finit_module(int fd, const char *params, int flags) {
    long result = syscall(SYS_finit_module, fd, params ? params : "", flags);
    return result == 0 ? 0 : -errno;
}

uint64_t hostimg_makedev(unsigned int major, unsigned int minor) {
    return (uint64_t)makedev(major, minor);
}

int hostimg_reboot(enum hostimg_reboot_action action) {
    int command;
    switch (action) {
    case HOSTIMG_REBOOT_POWER_OFF: command = RB_POWER_OFF; break;
    case HOSTIMG_REBOOT_RESTART: command = RB_AUTOBOOT; break;
    case HOSTIMG_REBOOT_KEXEC: command = RB_KEXEC; break;
    default: return -EINVAL;
    }
    return reboot(command) == 0 ? 0 : -errno;
}

int hostimg_watchdog_set_timeout(int fd, int *seconds) {
    return ioctl(fd, WDIOC_SETTIMEOUT, seconds) == 0 ? 0 : -errno;
}

int hostimg_watchdog_keepalive(int fd) {
    int ignored = 0;
    return ioctl(fd, WDIOC_KEEPALIVE, &ignored) == 0 ? 0 : -errno;
}

int hostimg_kexec_file_load(int kernel_fd, int initrd_fd, const char *cmdline, unsigned long flags) {
    if (initrd_fd < 0) flags |= KEXEC_FILE_NO_INITRAMFS;
    const char *line = cmdline ? cmdline : "";
    // cmdline_len counts the terminating NUL (kexec_file_load(2)).
    long result = syscall(SYS_kexec_file_load, kernel_fd, initrd_fd, strlen(line) + 1, line, flags);
    return result == 0 ? 0 : -errno;
}

int hostimg_block_size(int fd, uint64_t *bytes) {
    return ioctl(fd, BLKGETSIZE64, bytes) == 0 ? 0 : -errno;
}

int hostimg_block_logical_sector_size(int fd, uint32_t *bytes) {
    int size = 0;  // BLKSSZGET writes an int
    if (ioctl(fd, BLKSSZGET, &size) != 0) return -errno;
    *bytes = (uint32_t)size;
    return 0;
}

int hostimg_block_reread_partitions(int fd) {
    return ioctl(fd, BLKRRPART) == 0 ? 0 : -errno;
}

int hostimg_filesystem_type(const char *path, uint64_t *type) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -errno;
    *type = (uint64_t)info.f_type;
    return 0;
}

// One ioctl buffer: struct dm_ioctl, then (for a table load) one struct dm_target_spec and its
// NUL-terminated parameter string, padded to 8 bytes as the kernel requires.
enum { HOSTIMG_DM_BUFFER = 16384 };

static int dm_prepare(struct dm_ioctl *io, const char *name, size_t total) {
    memset(io, 0, total);
    io->version[0] = DM_VERSION_MAJOR;  // the kernel refuses a different major version
    io->version[1] = 0;
    io->version[2] = 0;
    io->data_size = (uint32_t)total;
    io->data_start = sizeof(struct dm_ioctl);
    if (strlen(name) >= sizeof(io->name)) return -ENAMETOOLONG;
    strncpy(io->name, name, sizeof(io->name) - 1);
    return 0;
}

static int dm_call(int control, unsigned long request, struct dm_ioctl *io) {
    return ioctl(control, request, io) == 0 ? 0 : -errno;
}

int hostimg_dm_create(int control, const char *name, const char *uuid, unsigned int *major,
                      unsigned int *minor) {
    struct dm_ioctl io;
    int result = dm_prepare(&io, name, sizeof io);
    if (result != 0) return result;
    if (uuid != NULL) {
        if (strlen(uuid) >= sizeof(io.uuid)) return -ENAMETOOLONG;
        strncpy(io.uuid, uuid, sizeof(io.uuid) - 1);
    }
    result = dm_call(control, DM_DEV_CREATE, &io);
    if (result != 0) return result;
    *major = major(io.dev);
    *minor = minor(io.dev);
    return 0;
}

int hostimg_dm_load_table(int control, const char *name, uint64_t start, uint64_t length,
                          const char *type, const char *params, int read_only) {
    // Aligned storage for the header, the target spec and the parameters.
    uint64_t storage[HOSTIMG_DM_BUFFER / sizeof(uint64_t)];
    size_t spec_offset = sizeof(struct dm_ioctl);
    size_t params_offset = spec_offset + sizeof(struct dm_target_spec);
    size_t params_length = strlen(params) + 1;
    size_t total = (params_offset + params_length + 7) & ~(size_t)7;
    if (total > sizeof storage) return -E2BIG;
    struct dm_ioctl *io = (struct dm_ioctl *)storage;
    int result = dm_prepare(io, name, total);
    if (result != 0) return result;
    io->target_count = 1;
    if (read_only) io->flags |= DM_READONLY_FLAG;
    struct dm_target_spec *spec = (struct dm_target_spec *)((char *)storage + spec_offset);
    spec->sector_start = start;
    spec->length = length;
    spec->status = 0;
    spec->next = 0;  // the only target: no next
    if (strlen(type) >= sizeof(spec->target_type)) return -ENAMETOOLONG;
    strncpy(spec->target_type, type, sizeof(spec->target_type) - 1);
    memcpy((char *)storage + params_offset, params, params_length);
    return dm_call(control, DM_TABLE_LOAD, io);
}

int hostimg_dm_resume(int control, const char *name, unsigned int *major, unsigned int *minor) {
    struct dm_ioctl io;
    int result = dm_prepare(&io, name, sizeof io);
    if (result != 0) return result;
    result = dm_call(control, DM_DEV_SUSPEND, &io);  // no DM_SUSPEND_FLAG: resume
    if (result != 0) return result;
    *major = major(io.dev);
    *minor = minor(io.dev);
    return 0;
}

int hostimg_dm_remove(int control, const char *name) {
    struct dm_ioctl io;
    int result = dm_prepare(&io, name, sizeof io);
    if (result != 0) return result;
    return dm_call(control, DM_DEV_REMOVE, &io);
}

int hostimg_peer_credentials(int fd, int32_t *pid, uint32_t *uid, uint32_t *gid) {
    struct ucred credentials;
    socklen_t length = sizeof(credentials);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -errno;
    *pid = credentials.pid;
    *uid = credentials.uid;
    *gid = credentials.gid;
    return 0;
}

int hostimg_pidfd_open(int32_t pid) {
    long result = syscall(SYS_pidfd_open, pid, 0);
    return result < 0 ? -errno : (int)result;
}

int hostimg_pidfd_send_signal(int pidfd, int signal) {
    long result = syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0);
    return result == 0 ? 0 : -errno;
}

short hostimg_posix_spawn_setsid_flag(void) {
    return POSIX_SPAWN_SETSID;
}
