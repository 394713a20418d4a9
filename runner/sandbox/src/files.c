/*
 * Files of a run. Since /tmp and the other shared temp dirs are closed to the slot uids (lockdown.c),
 * a run can only write in its own work directory, so that is the only tree we measure and delete.
 *
 * Measuring is bounded: by entries visited, by depth and by a deadline checked inside the walk. A run
 * that makes the walk hit a bound has exceeded the disk limit (a silent stop would let it hide bytes
 * behind 200 000 hard links or a very deep tree).
 *
 * Deleting runs with the run's own uid (main.c forks and drops to it first) and only through directory
 * fds: openat(O_NOFOLLOW) and unlinkat, never a path, so no symlink, rename or RENAME_EXCHANGE trick can
 * make it delete anything the run could not delete itself, and no depth (even past PATH_MAX) stops it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"

#define MAX_DEPTH 256
#define MAX_ENTRIES 50000

struct walk {
  dev_t dev;
  uint64_t deadline_ms;
  int status;
  struct disk *acc;
};

static void measure_walk(int dirfd, int depth, struct walk *w) {
  DIR *d = fdopendir(dirfd);
  if (!d) {
    close(dirfd);
    return;
  }
  struct dirent *e;
  while (w->status == WALK_OK && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (++w->acc->entries > MAX_ENTRIES) {
      w->status = WALK_CAP;
      break;
    }
    if ((w->acc->entries & 255) == 0 && now_ms() >= w->deadline_ms) {
      w->status = WALK_TIME;
      break;
    }
    struct stat st;
    if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    w->acc->bytes += (uint64_t)st.st_blocks * 512;
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > w->acc->max_file) w->acc->max_file = (uint64_t)st.st_size;
    if (!S_ISDIR(st.st_mode) || st.st_dev != w->dev) continue;
    if (depth + 1 >= MAX_DEPTH) {
      w->status = WALK_CAP;
      break;
    }
    int fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) measure_walk(fd, depth + 1, w);
  }
  closedir(d);
}

int measure_tree(const char *dir, struct disk *acc, uint64_t deadline_ms) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0) return WALK_OK; /* removed already: nothing to count */
  if (fstat(fd, &st) != 0) {
    close(fd);
    return WALK_OK;
  }
  struct walk w = { .dev = st.st_dev, .deadline_ms = deadline_ms, .status = WALK_OK, .acc = acc };
  measure_walk(fd, 0, &w);
  return w.status;
}

/* The names of the directories we are inside of, so that going up can remove the one just emptied. */
struct name_stack {
  char *buf;
  size_t len, cap;
};

static int push_name(struct name_stack *s, const char *name) {
  size_t n = strlen(name) + 1;
  if (s->len + n > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 4096;
    while (cap < s->len + n) cap *= 2;
    char *b = realloc(s->buf, cap);
    if (!b) return -1;
    s->buf = b, s->cap = cap;
  }
  memcpy(s->buf + s->len, name, n);
  s->len += n;
  return 0;
}

/* Pops the last name into out (NAME_MAX + 1 bytes). */
static void pop_name(struct name_stack *s, char *out) {
  size_t end = s->len - 1; /* the terminating NUL of the last name */
  size_t start = end;
  while (start > 0 && s->buf[start - 1] != 0) start--;
  memcpy(out, s->buf + start, end - start + 1);
  s->len = start;
}

int remove_contents(const char *dir, uint64_t deadline_ms) {
  int cur = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (cur < 0) return errno == ENOENT ? 0 : -1;
  struct name_stack stack = { 0 };
  int result = -1;
  char child[256];
  for (;;) {
    if (now_ms() >= deadline_ms) break;
    /* Directory fds only: cur is where we are; a subdirectory is entered through openat(O_NOFOLLOW). */
    int scan = dup(cur);
    DIR *d = scan >= 0 ? fdopendir(scan) : NULL;
    if (!d) {
      if (scan >= 0) close(scan);
      break;
    }
    int stuck = 0, descend = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      if (unlinkat(cur, e->d_name, 0) == 0) continue;
      if (errno != EISDIR && errno != EPERM) {
        stuck = 1;
        continue;
      }
      if (unlinkat(cur, e->d_name, AT_REMOVEDIR) == 0) continue;
      if (errno != ENOTEMPTY && errno != EEXIST && errno != EACCES) {
        stuck = 1;
        continue;
      }
      /* A run may leave a directory it cannot enter or write (mode 000): as its owner we may fix that. */
      if (fchmodat(cur, e->d_name, 0700, 0) != 0) {
        stuck = 1;
        continue;
      }
      int fd = openat(cur, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 || push_name(&stack, e->d_name) != 0) {
        if (fd >= 0) close(fd);
        stuck = 1;
        continue;
      }
      close(cur);
      cur = fd;
      descend = 1;
      break;
    }
    closedir(d);
    if (descend) continue;
    if (stuck) break; /* something here cannot be deleted: report it rather than loop */
    if (stack.len == 0) {
      result = 0;
      break;
    }
    /* Emptied: go up and remove it. Nothing else of the uid runs now, so ".." is where we came from. */
    int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(cur);
    cur = up;
    if (cur < 0) break;
    pop_name(&stack, child);
    if (unlinkat(cur, child, AT_REMOVEDIR) != 0) break;
  }
  if (cur >= 0) close(cur);
  free(stack.buf);
  return result;
}
