/*
 * sandbox-helper: runs one step (compile or run) of a job inside the Fargate-compatible sandbox.
 *
 * Fargate gives no namespaces, cgroups or privileged mode (NOTES.md), so isolation is built from what
 * an ordinary root process can do: a per-slot uid, rlimits, a self-installed seccomp filter, and a
 * monitor that measures the run through /proc and cleans up after it. The helper is that monitor:
 *
 *   sandbox-helper run [options] -- /abs/program args...
 *     forks the program (new session, rlimits, setgroups/setgid/setuid, no_new_privs, seccomp,
 *     chdir, exec with exactly the --env given), polls its processes' memory/CPU and the bytes they
 *     wrote, enforces wall/CPU/memory/disk limits, then kills every process of the run, deletes its
 *     files in the --clean directories and writes one report line to --report-fd.
 *   sandbox-helper clean --uid N [--clean DIR]...
 *     kills every process of uid N and deletes its files (used when a slot is leased).
 *
 * Report: "exit=E signal=S reason=R cpu_ms= peak_rss_kb= wall_ms= disk_bytes= max_file= left_procs=
 * left_files=" or "error=<message>" when the sandbox itself could not be set up. R is one of exit,
 * wall, cpu, memory, disk, killed (SIGTERM from the runner, e.g. for flooding output).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

#define MAX_LIST 64
#define POLL_MS 20
#define DISK_EVERY 5 /* disk walks are dearer than /proc reads: every 5th poll (100 ms) */

struct opts {
  uid_t uid;
  gid_t gid;
  const char *dir;
  uint64_t wall_ms, cpu_ms, mem_bytes, data_bytes, nproc, fsize, nofile, stack_bytes, disk_bytes;
  int nice, report_fd;
  const char *scan[MAX_LIST], *clean[MAX_LIST], *env[MAX_LIST + 1];
  int nscan, nclean, nenv;
  char **argv;
};

static int report_fd = 3;

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0 && write(report_fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1) < 0) _exit(125);
}

static void fail(const char *what) {
  report("error=%s: %s\n", what, strerror(errno));
  exit(125);
}

static int parse(int argc, char **argv, struct opts *o) {
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) {
      o->argv = &argv[i + 1];
      return 0;
    }
    if (i + 1 >= argc) return -1;
    const char *v = argv[++i];
    uint64_t n = strtoull(v, NULL, 10);
    if (!strcmp(a, "--uid")) o->uid = (uid_t)n;
    else if (!strcmp(a, "--gid")) o->gid = (gid_t)n;
    else if (!strcmp(a, "--dir")) o->dir = v;
    else if (!strcmp(a, "--wall-ms")) o->wall_ms = n;
    else if (!strcmp(a, "--cpu-ms")) o->cpu_ms = n;
    else if (!strcmp(a, "--mem-bytes")) o->mem_bytes = n;
    else if (!strcmp(a, "--data-bytes")) o->data_bytes = n;
    else if (!strcmp(a, "--nproc")) o->nproc = n;
    else if (!strcmp(a, "--fsize")) o->fsize = n;
    else if (!strcmp(a, "--nofile")) o->nofile = n;
    else if (!strcmp(a, "--stack-bytes")) o->stack_bytes = n;
    else if (!strcmp(a, "--disk-bytes")) o->disk_bytes = n;
    else if (!strcmp(a, "--nice")) o->nice = (int)n;
    else if (!strcmp(a, "--report-fd")) o->report_fd = (int)n;
    else if (!strcmp(a, "--scan") && o->nscan < MAX_LIST) o->scan[o->nscan++] = v;
    else if (!strcmp(a, "--clean") && o->nclean < MAX_LIST) o->clean[o->nclean++] = v;
    else if (!strcmp(a, "--env") && o->nenv < MAX_LIST) o->env[o->nenv++] = v;
    else return -1;
  }
  return o->argv ? 0 : -1;
}

static void limit(int resource, uint64_t soft, uint64_t hard) {
  struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };
  if (setrlimit(resource, &rl) != 0) fail("setrlimit");
}

/* In the forked child: become the sandboxed program. Never returns. */
static void child(const struct opts *o, int errfd, const sigset_t *oldmask) {
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  sigprocmask(SIG_SETMASK, oldmask, NULL);
  report_fd = errfd;
  if (setsid() < 0) fail("setsid");
  if (o->cpu_ms) limit(RLIMIT_CPU, (o->cpu_ms + 999) / 1000, (o->cpu_ms + 999) / 1000 + 1);
  if (o->data_bytes) limit(RLIMIT_DATA, o->data_bytes, o->data_bytes);
  if (o->fsize) limit(RLIMIT_FSIZE, o->fsize, o->fsize);
  if (o->nofile) limit(RLIMIT_NOFILE, o->nofile, o->nofile);
  if (o->stack_bytes) limit(RLIMIT_STACK, o->stack_bytes, o->stack_bytes);
  /* RLIMIT_NPROC counts every process of the real uid: only meaningful with a uid of our own. */
  if (o->uid && o->nproc) limit(RLIMIT_NPROC, o->nproc, o->nproc);
  limit(RLIMIT_CORE, 0, 0);
  limit(RLIMIT_MSGQUEUE, 0, 0); /* POSIX message queues outlive the run and are not files we clean */
  /* Below the runner and the monitor in the scheduler, so they stay responsive under a fork bomb. */
  if (o->nice) setpriority(PRIO_PROCESS, 0, o->nice);
  if (o->uid) {
    if (setgroups(0, NULL) != 0) fail("setgroups");
    if (setresgid(o->gid, o->gid, o->gid) != 0) fail("setgid");
    if (setresuid(o->uid, o->uid, o->uid) != 0) fail("setuid");
    if (setuid(0) == 0) {
      errno = EPERM;
      fail("privileges still present after setuid");
    }
  }
  /* After the uid change, which clears it: the program dies with the monitor. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) fail("monitor gone");
  if (chdir(o->dir) != 0) fail("chdir");
  umask(077); /* concurrent runs must not read each other's files in the shared /tmp */
  if (install_seccomp() != 0) fail("seccomp");
  syscall(SYS_close_range, 3, ~0U, 0); /* best effort; errfd is close-on-exec anyway */
  for (int fd = 3; fd < 1024; fd++)
    if (fd != errfd) close(fd);
  execve(o->argv[0], o->argv, (char **)o->env);
  if (errno == ENOMEM) {
    /* The program's static data alone is over RLIMIT_DATA: that is the program's memory limit. */
    report("exit=-1 signal=0 reason=memory cpu_ms=0 peak_rss_kb=0 wall_ms=0 disk_bytes=0 max_file=0 left_procs=0 left_files=0\n");
    _exit(127);
  }
  fail("exec");
}

static void measure(const struct opts *o, struct disk *d) {
  memset(d, 0, sizeof *d);
  for (int i = 0; i < o->nscan; i++) measure_dir(o->scan[i], o->uid, d);
  for (int i = 0; i < o->nclean; i++) measure_dir(o->clean[i], o->uid, d);
}

/* Deletes the run's files in the --clean dirs with the run's own credentials; returns what is left. */
static uint64_t clean(const struct opts *o) {
  if (!o->uid || !o->nclean) return 0;
  pid_t p = fork();
  if (p == 0) {
    if (setgroups(0, NULL) != 0 || setresgid(o->gid, o->gid, o->gid) != 0 || setresuid(o->uid, o->uid, o->uid) != 0) _exit(1);
    for (int i = 0; i < o->nclean; i++) remove_owned(o->clean[i], o->uid);
    _exit(0);
  }
  if (p > 0) waitpid(p, NULL, 0);
  struct disk left = { 0, 0, 0 };
  for (int i = 0; i < o->nclean; i++) measure_dir(o->clean[i], o->uid, &left);
  return left.entries;
}

static int run(struct opts *o) {
  if (o->uid == 0 && getuid() == 0) {
    errno = EINVAL;
    fail("refusing to run user code as root: pass --uid");
  }
  if (o->uid && getuid() != 0) {
    errno = EPERM;
    fail("--uid needs root");
  }
  if (!o->dir) o->dir = ".";
  /* Orphans of the run re-parent to us, so we can reap them and count their CPU time. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  sigset_t set, old;
  sigemptyset(&set);
  int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&set, sigs[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  signal(SIGPIPE, SIG_IGN);
  fcntl(report_fd, F_SETFD, FD_CLOEXEC);

  struct disk base;
  measure(o, &base);
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0) fail("pipe");
  pid_t pid = fork();
  if (pid < 0) fail("fork");
  if (pid == 0) child(o, errpipe[1], &old);
  close(errpipe[1]);
  /* The program owns stdin/stdout/stderr now; our copies would only delay EOF for the runner. */
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3 && devnull >= 0; fd++) dup2(devnull, fd);
  char err[512];
  ssize_t n = read(errpipe[0], err, sizeof err - 1);
  close(errpipe[0]);
  if (n > 0) { /* setup or exec failed: the child already wrote its report line there */
    err[n] = 0;
    kill_all(o->uid);
    report("%s", err);
    return 0;
  }
  uint64_t start = now_ms(), next_poll = start, polls = 0, peak_rss = 0;
  int status = 0, done = 0;
  const char *reason = "exit";
  while (!done) {
    uint64_t now = now_ms();
    if (o->wall_ms && now - start >= o->wall_ms) { reason = "wall"; break; }
    if (now >= next_poll) {
      struct usage u;
      struct rusage ru;
      sample_processes(o->uid, &u);
      getrusage(RUSAGE_CHILDREN, &ru);
      uint64_t cpu = u.cpu_ms + (uint64_t)ru.ru_utime.tv_sec * 1000 + (uint64_t)ru.ru_stime.tv_sec * 1000 +
                     (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
      if (u.rss_bytes > peak_rss) peak_rss = u.rss_bytes;
      if (o->mem_bytes && u.rss_bytes > o->mem_bytes) { reason = "memory"; break; }
      if (o->cpu_ms && cpu > o->cpu_ms) { reason = "cpu"; break; }
      if (o->disk_bytes && ++polls % DISK_EVERY == 0) {
        struct disk d;
        measure(o, &d);
        if (d.bytes > base.bytes + o->disk_bytes) { reason = "disk"; break; }
      }
      next_poll = now + POLL_MS;
    }
    uint64_t wait = next_poll > now ? next_poll - now : 0;
    if (o->wall_ms && start + o->wall_ms - now < wait) wait = start + o->wall_ms - now;
    struct timespec ts = { .tv_sec = (time_t)(wait / 1000), .tv_nsec = (long)(wait % 1000) * 1000000 };
    int sig = sigtimedwait(&set, NULL, &ts);
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGUSR1) { reason = "killed"; break; }
    int st;
    pid_t w;
    while ((w = waitpid(-1, &st, WNOHANG)) > 0)
      if (w == pid) status = st, done = 1;
  }
  uint64_t wall = now_ms() - start;
  /* The run ends with its main process: daemons and background children go with it. */
  int rounds = kill_all(o->uid);
  int st;
  pid_t w;
  while ((w = waitpid(-1, &st, 0)) > 0)
    if (w == pid && !done) status = st, done = 1;
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  uint64_t cpu = (uint64_t)ru.ru_utime.tv_sec * 1000 + (uint64_t)ru.ru_stime.tv_sec * 1000 +
                 (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
  uint64_t rss_kb = peak_rss / 1024 > (uint64_t)ru.ru_maxrss ? peak_rss / 1024 : (uint64_t)ru.ru_maxrss;
  struct disk d;
  measure(o, &d);
  uint64_t left_files = clean(o);
  int exit_code = done && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  /* Not done: we killed it, and kill_all reaped it before we could read its status. */
  int signo = !done ? SIGKILL : WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  report("exit=%d signal=%d reason=%s cpu_ms=%llu peak_rss_kb=%llu wall_ms=%llu disk_bytes=%llu max_file=%llu left_procs=%d left_files=%llu\n",
         exit_code, signo, reason, (unsigned long long)cpu, (unsigned long long)rss_kb, (unsigned long long)wall,
         (unsigned long long)(d.bytes > base.bytes ? d.bytes - base.bytes : 0), (unsigned long long)d.max_file,
         rounds < 0 ? 1 : 0, (unsigned long long)left_files);
  return 0;
}

int main(int argc, char **argv) {
  struct opts o;
  memset(&o, 0, sizeof o);
  o.report_fd = 3;
  int ok = argc >= 2 && parse(argc, argv, &o) == 0;
  report_fd = o.report_fd;
  if (ok && !strcmp(argv[1], "run") && o.argv[0]) return run(&o);
  if (ok && !strcmp(argv[1], "clean") && o.uid) {
    if (getuid() != 0) {
      errno = EPERM;
      fail("clean needs root");
    }
    int rounds = kill_all(o.uid);
    report("left_procs=%d left_files=%llu\n", rounds < 0 ? 1 : 0, (unsigned long long)clean(&o));
    return 0;
  }
  fprintf(stderr, "usage: sandbox-helper run [--uid N --gid N --dir D limits... --env K=V...] -- /abs/program args...\n"
                  "       sandbox-helper clean --uid N [--clean DIR]... --\n");
  return 2;
}
