/*
 * Closing the shared temp dirs (/tmp, /var/tmp, /dev/shm, /run/lock) to every slot uid, without
 * changing them for anyone else and without a mount namespace (Fargate has none).
 *
 * Every sandboxed process carries one supplementary group, the sandbox group, which it cannot drop
 * (no CAP_SETGID after the uid switch). A POSIX ACL entry "group:<sandbox>:r-x" on a world-writable
 * directory then wins over the "other: rwx" bits for exactly those processes: POSIX ACL checks use the
 * matching group entry and never fall through to "other". So a run cannot plant a file or symlink at a
 * fixed /tmp path, cannot fill /dev/shm (memory no RSS poll sees) and leaves nothing behind there; it
 * still reads and traverses them. World-writable directories directly inside them (/tmp/.X11-unix) get
 * the same entry. The ACL is written as the raw system.posix_acl_access xattr (no libacl needed).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "helper.h"

/* linux/posix_acl_xattr.h, spelled out: the header is not installed everywhere. */
#define ACL_XATTR_VERSION 2
#define TAG_USER_OBJ 0x01
#define TAG_GROUP_OBJ 0x04
#define TAG_GROUP 0x08
#define TAG_MASK 0x10
#define TAG_OTHER 0x20
#define NO_ID 0xffffffffu

struct acl_entry {
  uint16_t tag, perm;
  uint32_t id;
} __attribute__((packed));

static int lock_fd(int fd, gid_t group) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) return -1;
  unsigned m = st.st_mode;
  /* Entries sorted by tag then id, as the kernel requires. The mask must allow the group entry's r-x. */
  struct {
    uint32_t version;
    struct acl_entry e[5];
  } __attribute__((packed)) acl = {
    ACL_XATTR_VERSION,
    {
      { TAG_USER_OBJ, (m >> 6) & 7, NO_ID },
      { TAG_GROUP_OBJ, (m >> 3) & 7, NO_ID },
      { TAG_GROUP, 5, (uint32_t)group },
      { TAG_MASK, ((m >> 3) & 7) | 5, NO_ID },
      { TAG_OTHER, m & 7, NO_ID },
    },
  };
  return fsetxattr(fd, "system.posix_acl_access", &acl, sizeof acl, 0);
}

/* Returns how many of the dirs could not be locked (reported, the runner logs it). */
int lockdown(gid_t group, const char *const *dirs, int ndirs) {
  int failed = 0;
  for (int i = 0; i < ndirs; i++) {
    int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || lock_fd(fd, group) != 0) {
      report("lockdown_failed=%s:%s\n", dirs[i], strerror(errno));
      failed++;
      if (fd >= 0) close(fd);
      continue;
    }
    DIR *d = fdopendir(fd);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      struct stat st;
      if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) || !(st.st_mode & S_IWOTH)) continue;
      int sub = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        lock_fd(sub, group);
        close(sub);
      }
    }
    if (d) closedir(d);
  }
  return failed;
}
