/*
 * Files written by a run. A run can only create files where its uid may write: its work directory,
 * the world-writable temp dirs (/tmp, /var/tmp, /dev/shm) and directories it created itself. So the
 * walk descends only into directories owned by the uid or world-writable, never follows symlinks and
 * never crosses into another file system. Removal runs with the run's own uid (main.c forks and drops
 * to it first), so no symlink or rename trick can make it delete anything the run could not delete.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"

#define MAX_DEPTH 64
#define MAX_ENTRIES 200000

static int walk(int dirfd, dev_t dev, uid_t uid, int remove, int depth, struct disk *acc) {
  DIR *d = fdopendir(dirfd);
  if (!d) {
    close(dirfd);
    return 0;
  }
  int removed = 0;
  struct dirent *e;
  while ((e = readdir(d)) && acc->entries < MAX_ENTRIES) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    struct stat st;
    if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    int owned = uid == 0 || st.st_uid == uid;
    if (S_ISDIR(st.st_mode)) {
      if ((owned || (st.st_mode & S_IWOTH)) && depth < MAX_DEPTH && st.st_dev == dev) {
        /* A run may leave a directory it cannot enter (mode 000): as its owner we may fix that. */
        if (remove && owned && fchmodat(dirfd, e->d_name, 0700, 0) != 0) continue;
        int fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) removed += walk(fd, dev, uid, remove, depth + 1, acc);
      }
      if (owned) {
        acc->entries++;
        if (remove && unlinkat(dirfd, e->d_name, AT_REMOVEDIR) == 0) removed++;
      }
    } else if (owned) {
      acc->entries++;
      acc->bytes += (uint64_t)st.st_blocks * 512;
      if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > acc->max_file) acc->max_file = (uint64_t)st.st_size;
      if (remove && unlinkat(dirfd, e->d_name, 0) == 0) removed++;
    }
  }
  closedir(d);
  return removed;
}

static int open_root(const char *dir, struct stat *st) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && fstat(fd, st) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void measure_dir(const char *dir, uid_t uid, struct disk *acc) {
  struct stat st;
  int fd = open_root(dir, &st);
  if (fd >= 0) walk(fd, st.st_dev, uid, 0, 0, acc);
}

void remove_owned(const char *dir, uid_t uid) {
  /* readdir may skip entries while we delete behind it: repeat until a pass removes nothing. */
  for (int pass = 0; pass < 8; pass++) {
    struct stat st;
    struct disk scratch = { 0, 0, 0 };
    int fd = open_root(dir, &st);
    if (fd < 0 || walk(fd, st.st_dev, uid, 1, 0, &scratch) == 0) return;
  }
}
