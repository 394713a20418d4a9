/*
 * The run's processes, found through /proc. As root each run has its own uid, so "the run" is every
 * process with that uid: this catches double-forked, setsid'ed daemons that left the process tree.
 * Without root (a developer laptop) the run shares our uid, so "the run" is our descendants: the helper
 * is a child subreaper, so orphans re-parent to it and stay findable (reduced: a process can still
 * escape by being re-parented elsewhere, which needs no privilege only in exotic setups).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

#define MAX_PROCS 32768

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
  long long rss = 0;
  int ppid = 0;
  if (sscanf(s + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %*u %*u %lld",
             &p->state, &ppid, &utime, &stime, &rss) != 5)
    return -1;
  p->pid = atoi(pid);
  p->ppid = ppid;
  p->cpu_ticks = utime + stime;
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

void sample_processes(uid_t uid, struct usage *out) {
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
}

static int live_count(uid_t uid) {
  struct usage u;
  sample_processes(uid, &u);
  return u.count;
}

/* Reap whatever died (we are the subreaper of the run) without blocking. */
static void reap(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int kill_all(uid_t uid) {
  for (int round = 1; round <= 200; round++) {
    if (uid > 0) {
      /* kill(-1) from a process with the run's uid reaches exactly the processes of that uid (and
       * never the caller), so a fork bomb cannot outrun a burst of it. It returns 0 whenever any
       * other process exists (EPERM on the rest is not reported), so /proc decides when we are done. */
      pid_t killer = fork();
      if (killer == 0) {
        if (setresuid(uid, uid, uid) != 0) _exit(1);
        for (int i = 0; i < 16; i++) kill(-1, SIGKILL);
        _exit(0);
      }
      if (killer > 0) waitpid(killer, NULL, 0);
    } else {
      int n = list_run(0);
      for (int i = 0; i < n; i++)
        if (procs[i].state != 'Z') kill(procs[i].pid, SIGKILL);
    }
    reap();
    if (live_count(uid) == 0) return round;
    usleep(1000);
    reap();
  }
  return -1;
}
