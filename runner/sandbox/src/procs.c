/*
 * The run's processes, found through /proc. As root each run has its own uid, so "the run" is every
 * process with that uid: this catches double-forked daemons that left the process tree.
 * Without root (a developer laptop) the run shares our uid, so "the run" is our descendants: the helper
 * is a child subreaper, so orphans re-parent to it and stay findable (reduced: a process can still
 * escape by being re-parented elsewhere, which needs no privilege only in exotic setups).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

#define MAX_PROCS 32768
#define MAX_OPEN_FILES 65536
/* A killer that has not finished its kill(-1) burst within this time was stopped or starved. */
#define KILLER_TIMEOUT_MS 1000
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

struct proc {
  pid_t pid, ppid;
  char state;
  uint64_t rss_pages, cpu_ticks;
};

static struct proc procs[MAX_PROCS];

uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int read_stat(int procfd, const char *pid, struct proc *p) {
  char path[300], buf[1024];
  snprintf(path, sizeof path, "%s/stat", pid);
  int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  /* The command name may contain spaces and parentheses: fields start after the last ')'. */
  char *s = strrchr(buf, ')');
  if (!s) return -1;
  unsigned long long utime = 0, stime = 0;
  long long cutime = 0, cstime = 0, rss = 0;
  int ppid = 0;
  /* cutime/cstime: CPU of children this process has waited for. Without them a program that burns
   * its CPU in short-lived children it reaps itself would never reach the CPU limit. */
  if (sscanf(s + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld %*d %*d %*d %*d %*u %*u %lld",
             &p->state, &ppid, &utime, &stime, &cutime, &cstime, &rss) != 7)
    return -1;
  p->pid = atoi(pid);
  p->ppid = ppid;
  p->cpu_ticks = utime + stime + (uint64_t)(cutime > 0 ? cutime : 0) + (uint64_t)(cstime > 0 ? cstime : 0);
  p->rss_pages = rss > 0 ? (uint64_t)rss : 0;
  return 0;
}

/* Fills procs[] with the run's processes (zombies included) and returns how many there are. */
static int list_run(uid_t uid) {
  int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (procfd < 0) return 0;
  DIR *d = fdopendir(dup(procfd));
  int n = 0;
  struct dirent *e;
  pid_t self = getpid();
  while (d && (e = readdir(d)) && n < MAX_PROCS) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    if (uid > 0) {
      /* stat() of /proc/<pid> is cheap and gives the effective uid: read stat only for ours. */
      struct stat st;
      if (fstatat(procfd, e->d_name, &st, 0) != 0 || st.st_uid != uid) continue;
    }
    if (read_stat(procfd, e->d_name, &procs[n]) == 0 && procs[n].pid != self) n++;
  }
  if (d) closedir(d);
  close(procfd);
  if (uid > 0) return n;

  /* Keep only descendants of this process: mark children of marked processes until stable. */
  static char marked[MAX_PROCS];
  memset(marked, 0, (size_t)n);
  for (int changed = 1; changed;) {
    changed = 0;
    for (int i = 0; i < n; i++) {
      if (marked[i]) continue;
      int hit = procs[i].ppid == self;
      for (int j = 0; !hit && j < n; j++) hit = marked[j] && procs[j].pid == procs[i].ppid;
      if (hit) marked[i] = 1, changed = 1;
    }
  }
  int m = 0;
  for (int i = 0; i < n; i++)
    if (marked[i]) procs[m++] = procs[i];
  return m;
}

/*
 * Bytes of regular files the run holds open after unlinking them (nlink 0): they use the disk (or, on a
 * tmpfs, memory) but no directory walk can find them. Counted once per inode.
 */
#define SEEN_SLOTS 131072 /* power of two, twice the files we record */
static struct seen_file {
  uint32_t gen;
  dev_t dev;
  ino_t ino;
} seen[SEEN_SLOTS];
static uint32_t seen_gen;

/* Records (dev, ino); returns 1 when it was already recorded in this generation. */
static int seen_before(dev_t dev, ino_t ino) {
  uint64_t h = ((uint64_t)ino * 0x9E3779B97F4A7C15ull) ^ (uint64_t)dev;
  for (uint64_t i = 0; i < SEEN_SLOTS; i++) {
    struct seen_file *s = &seen[(h + i) & (SEEN_SLOTS - 1)];
    if (s->gen != seen_gen) {
      s->gen = seen_gen, s->dev = dev, s->ino = ino;
      return 0;
    }
    if (s->dev == dev && s->ino == ino) return 1;
  }
  return 1; /* full: stop counting more rather than loop */
}

static uint64_t open_unlinked_bytes(int n) {
  seen_gen++;
  int recorded = 0;
  uint64_t bytes = 0;
  for (int i = 0; i < n; i++) {
    if (procs[i].state == 'Z') continue;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)procs[i].pid);
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) continue;
    DIR *d = fdopendir(dfd);
    if (!d) {
      close(dfd);
      continue;
    }
    struct dirent *e;
    while ((e = readdir(d)) && recorded < MAX_OPEN_FILES) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      struct stat st;
      if (fstatat(dfd, e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 0) continue;
      if (seen_before(st.st_dev, st.st_ino)) continue;
      recorded++;
      bytes += (uint64_t)st.st_blocks * 512;
    }
    closedir(d);
  }
  return bytes;
}

/*
 * Every process of the run is the OOM killer's first choice (oom_score_adj 1000, set before exec).
 * Without CAP_SYS_RESOURCE, which neither Fargate nor a default container grants, the kernel lets a
 * process lower its own value back to 0, so the helper raises it again on every slow poll.
 */
static void keep_oom_first(int n) {
  for (int i = 0; i < n; i++) {
    if (procs[i].state == 'Z') continue;
    char path[64], cur[16] = { 0 };
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)procs[i].pid);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;
    if (read(fd, cur, sizeof cur - 1) > 0 && atoi(cur) < 1000 && pwrite(fd, "1000", 4, 0) < 0) {
      /* the process is exiting: nothing to protect */
    }
    close(fd);
  }
}

void sample_processes(uid_t uid, struct usage *out, int with_files) {
  static long page = 0, hz = 0;
  if (!page) page = sysconf(_SC_PAGESIZE), hz = sysconf(_SC_CLK_TCK);
  int n = list_run(uid);
  memset(out, 0, sizeof *out);
  for (int i = 0; i < n; i++) {
    if (procs[i].state == 'Z') continue;
    out->count++;
    out->rss_bytes += procs[i].rss_pages * (uint64_t)page;
    out->cpu_ms += procs[i].cpu_ticks * 1000 / (uint64_t)hz;
  }
  if (with_files) {
    out->unlinked_bytes = open_unlinked_bytes(n);
    keep_oom_first(n);
  }
}

static int live_count(uid_t uid) {
  struct usage u;
  sample_processes(uid, &u, 0);
  return u.count;
}

int run_has_processes(uid_t uid) {
  return live_count(uid) > 0;
}

/* Reap whatever died (we are the subreaper of the run) without blocking. */
static void reap(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int wait_bounded(pid_t pid, uint64_t timeout_ms) {
  /* A pidfd becomes readable the moment the child exits, so waiting costs no polling delay; a stop
   * (which does not wake it) is noticed within one short poll interval. */
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  uint64_t deadline = now_ms() + timeout_ms;
  int result = -1;
  for (;;) {
    int st;
    pid_t w = waitpid(pid, &st, WNOHANG | WUNTRACED);
    if (w == pid && !WIFSTOPPED(st)) {
      result = st;
      break;
    }
    if (w < 0 && errno != EINTR) break; /* already reaped elsewhere */
    /* Stopped (a SIGSTOP from the run, e.g. through F_SETOWN/F_SETSIG) or too slow: end it ourselves. */
    if ((w == pid && WIFSTOPPED(st)) || now_ms() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      break;
    }
    if (pfd >= 0) {
      struct pollfd p = { .fd = pfd, .events = POLLIN };
      poll(&p, 1, 20);
    } else {
      usleep(500);
    }
  }
  if (pfd >= 0) close(pfd);
  return result;
}

void become_isolated_fork(void) {
  /* Own session and process group: F_SETOWN(-pgrp) signals aimed at the helper's group miss us. */
  setsid();
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* No fd of the helper (the report pipe, /proc handles) may reach a process of the run's uid. */
  if (syscall(SYS_close_range, 3, ~0U, 0) != 0)
    for (int fd = 3; fd < 1024; fd++) close(fd);
}

int kill_all(uid_t uid) {
  for (int round = 1; round <= 200; round++) {
    /* Every process we can see, directly (from the second round on: the first killer usually ends
     * everything, and a /proc scan is not free). This cannot be stopped or starved by the run. */
    if (round > 1 || uid == 0) {
      int n = list_run(uid);
      for (int i = 0; i < n; i++)
        if (procs[i].state != 'Z') kill(procs[i].pid, SIGKILL);
    }
    if (uid > 0) {
      /* kill(-1) from a process with the run's uid reaches exactly the processes of that uid (and
       * never the caller), so a fork bomb cannot outrun a burst of it. It returns 0 whenever any
       * other process exists (EPERM on the rest is not reported), so /proc decides when we are done.
       * The killer is itself a process of the uid for a moment: it runs in its own session with no
       * inherited fds, and a killer that gets stopped or hangs is killed and replaced next round. */
      pid_t killer = fork();
      if (killer == 0) {
        become_isolated_fork();
        if (setresuid(uid, uid, uid) != 0) _exit(1);
        for (int i = 0; i < 16; i++) kill(-1, SIGKILL);
        _exit(0);
      }
      if (killer > 0) wait_bounded(killer, KILLER_TIMEOUT_MS);
    }
    reap();
    if (live_count(uid) == 0) return round;
    usleep(1000);
    reap();
  }
  return -1;
}
