/*
 * sandbox-helper: runs one step (compile or run) of a job inside the Fargate-compatible sandbox.
 *
 * Fargate gives no namespaces, cgroups or privileged mode (NOTES.md), so isolation is built from what
 * an ordinary root process can do: a uid per job, rlimits, a self-installed seccomp filter, an ACL that
 * closes the shared temp dirs, and a monitor that measures the run through /proc and cleans up after
 * it. The helper is that monitor. Its options come on fd 4 (config.c), its report goes to fd 3:
 *
 *   run       forks the program (rlimits, oom_score_adj 1000, groups/gid/uid, no_new_privs, seccomp,
 *             chdir, exec with exactly the --env given), polls its processes' memory/CPU and the bytes
 *             they wrote, enforces wall/CPU/memory/disk limits, then kills every process of the uid,
 *             proves none is left, and only then deletes the --remove dirs' contents as the uid.
 *   clean     the same end without a program: the sweep after an abnormal step end and before reuse.
 *   lockdown  closes the given world-writable dirs to --group (lockdown.c).
 *
 * Report: "exit=E signal=S reason=R cpu_ms= peak_rss_kb= wall_ms= disk_bytes= max_file= left_procs=
 * left_files=" or "error=<message>" when the sandbox itself could not be set up. R is one of exit,
 * wall, cpu, memory, disk, killed (SIGTERM from the runner, e.g. for flooding output), task-memory
 * (SIGUSR2: the runner's task is short of memory).
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

#define POLL_MS 20
#define DISK_EVERY 5 /* disk walks are dearer than /proc reads: every 5th poll (100 ms) */
#define WALK_BUDGET_MS 2000
#define REMOVE_BUDGET_MS 20000
#define CLEANER_TIMEOUT_MS (REMOVE_BUDGET_MS + 2000)
#define CONFIG_FD 4
#define REAP_TIMEOUT_MS 2000 /* a SIGKILLed main process whose threads are still exiting */

static int report_fd = 3;

void report(const char *fmt, ...) {
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

static void limit(int resource, uint64_t soft, uint64_t hard) {
  struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };
  if (setrlimit(resource, &rl) != 0) fail("setrlimit");
}

static void write_proc_self(const char *file, const char *value) {
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return; /* autogroup is optional in the kernel */
  if (write(fd, value, strlen(value)) < 0) {
  }
  close(fd);
}

static int drop_to(const struct opts *o) {
  gid_t groups[1] = { o->group };
  if (setgroups(o->group ? 1 : 0, groups) != 0) return -1;
  if (setresgid(o->gid, o->gid, o->gid) != 0) return -1;
  return setresuid(o->uid, o->uid, o->uid);
}

/* In the forked child: become the sandboxed program. Never returns. */
static void child(const struct opts *o, int errfd, const sigset_t *oldmask) {
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  sigprocmask(SIG_SETMASK, oldmask, NULL);
  report_fd = errfd;
  if (setsid() < 0) fail("setsid");
  /* This session is the run's one scheduler autogroup (setsid is denied to the program, so it cannot
   * make more): the run weighs as much as the runner's group, however many processes it starts.
   * Lowering the group's own nice would starve runs whenever anything else runs on the machine. */
  /* First to go when the task runs out of memory, never the runner; the program cannot lower it. */
  write_proc_self("/proc/self/oom_score_adj", "1000");
  /* The monitor enforces the CPU limit from the precise runtime /proc reports. RLIMIT_CPU is only the
   * backstop for a starved monitor, a second above the limit: the kernel checks it against tick-sampled
   * CPU time, which under contention overcharges a process, so at the limit itself it killed runs at
   * 860-960 ms of a 1 s limit on a loaded machine (SIGXCPU before the monitor's poll saw the limit). */
  if (o->cpu_ms) limit(RLIMIT_CPU, (o->cpu_ms + 999) / 1000 + 1, (o->cpu_ms + 999) / 1000 + 2);
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
    if (drop_to(o) != 0) fail("setuid");
    if (setuid(0) == 0) {
      errno = EPERM;
      fail("privileges still present after setuid");
    }
  }
  /* After the uid change, which clears it: the program dies with the monitor. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) fail("monitor gone");
  if (chdir(o->dir) != 0) fail("chdir");
  umask(077);
  if (install_seccomp() != 0) fail("seccomp");
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

/* Bytes in the scan dirs; WALK_CAP / WALK_TIME when a bound of the walk was reached. */
static int measure(const struct opts *o, struct disk *d, uint64_t deadline) {
  memset(d, 0, sizeof *d);
  int status = WALK_OK;
  for (int i = 0; i < o->nscan && status == WALK_OK; i++) status = measure_tree(o->scan[i], d, deadline);
  return status;
}

/*
 * Ends the run: kills every process of the uid until /proc shows none (unless the caller just did),
 * and only then deletes the --remove dirs' contents, in a fork that has the run's uid (so it can
 * delete nothing the run could not). Returns the processes-left flag; *left_files gets what is left.
 */
static int finish(const struct opts *o, uint64_t *left_files, int already_killed) {
  *left_files = 0;
  int procs_left = already_killed ? 0 : kill_all(o->uid) < 0;
  if (!o->nremove) return procs_left;
  if (procs_left) {
    *left_files = 1; /* never delete under a live process of the uid: it could race the walk */
    return procs_left;
  }
  pid_t p = fork();
  if (p == 0) {
    become_isolated_fork();
    if (o->uid && drop_to(o) != 0) _exit(1);
    int bad = 0;
    uint64_t deadline = now_ms() + REMOVE_BUDGET_MS;
    for (int i = 0; i < o->nremove; i++) bad |= remove_contents(o->remove[i], deadline) != 0;
    _exit(bad);
  }
  int st = p > 0 ? wait_bounded(p, CLEANER_TIMEOUT_MS) : -1;
  if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) *left_files = 1;
  return procs_left;
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
  int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&set, sigs[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  signal(SIGPIPE, SIG_IGN);
  fcntl(report_fd, F_SETFD, FD_CLOEXEC);
  /* A uid is handed out only when a sweep proved it empty; check again, it costs one /proc scan. */
  if (o->uid && run_has_processes(o->uid) && kill_all(o->uid) < 0) {
    errno = EBUSY;
    fail("the run uid still has processes");
  }

  struct disk base;
  measure(o, &base, now_ms() + WALK_BUDGET_MS);
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
    uint64_t left_files;
    finish(o, &left_files, 0);
    report("%s", err);
    return 0;
  }
  uint64_t start = now_ms(), next_poll = start, polls = 0, peak_rss = 0, socket_bytes = 0, sampled_cpu = 0;
  int status = 0, done = 0;
  const char *reason = "exit";
  while (!done) {
    uint64_t now = now_ms();
    if (o->wall_ms && now - start >= o->wall_ms) { reason = "wall"; break; }
    if (now >= next_poll) {
      struct usage u;
      struct rusage ru;
      int disk_poll = o->disk_bytes && ++polls % DISK_EVERY == 0;
      if (!o->disk_bytes) ++polls;
      sample_processes(o->uid, &u, disk_poll);
      getrusage(RUSAGE_CHILDREN, &ru);
      uint64_t cpu = u.cpu_ms + (uint64_t)ru.ru_utime.tv_sec * 1000 + (uint64_t)ru.ru_stime.tv_sec * 1000 +
                     (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
      if (cpu > sampled_cpu) sampled_cpu = cpu;
      /* Socket buffers: a netlink dump of every Unix socket, dearer than /proc, so on the disk cadence. */
      if (polls % DISK_EVERY == 0) socket_bytes = unix_socket_bytes(o->uid);
      uint64_t memory = u.rss_bytes + socket_bytes;
      if (memory > peak_rss) peak_rss = memory;
      if (o->mem_bytes && memory > o->mem_bytes) { reason = "memory"; break; }
      if (o->cpu_ms && cpu > o->cpu_ms) { reason = "cpu"; break; }
      if (disk_poll) {
        struct disk d;
        uint64_t walk_deadline = now + WALK_BUDGET_MS;
        if (o->wall_ms && start + o->wall_ms < walk_deadline) walk_deadline = start + o->wall_ms;
        int walk = measure(o, &d, walk_deadline);
        /* A bound of the walk reached is a violation, except when it was the step's own deadline. */
        if (walk == WALK_TIME && walk_deadline == start + o->wall_ms) { reason = "wall"; break; }
        if (walk != WALK_OK) { reason = "disk"; break; }
        if (d.bytes + u.unlinked_bytes > base.bytes + o->disk_bytes) { reason = "disk"; break; }
      }
      next_poll = now_ms() + POLL_MS;
    }
    now = now_ms();
    uint64_t wait = next_poll > now ? next_poll - now : 0;
    if (o->wall_ms && start + o->wall_ms > now && start + o->wall_ms - now < wait) wait = start + o->wall_ms - now;
    struct timespec ts = { .tv_sec = (time_t)(wait / 1000), .tv_nsec = (long)(wait % 1000) * 1000000 };
    int sig = sigtimedwait(&set, NULL, &ts);
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGUSR1) { reason = "killed"; break; }
    if (sig == SIGUSR2) { reason = "task-memory"; break; }
    int st;
    pid_t w;
    while ((w = waitpid(-1, &st, WNOHANG)) > 0)
      if (w == pid) status = st, done = 1;
  }
  uint64_t wall = now_ms() - start;
  /* The run ends with its main process: daemons and background children go with it. */
  int procs_left = kill_all(o->uid);
  procs_left = procs_left < 0;
  int st;
  pid_t w;
  while ((w = waitpid(-1, &st, WNOHANG)) > 0)
    if (w == pid && !done) status = st, done = 1;
  /* A multithreaded main process (Go, Java) shows as a zombie while its other threads are still dying,
   * so /proc can say "all gone" before it is waitable: wait for it (it has SIGKILL already), or its CPU
   * time never reaches RUSAGE_CHILDREN. */
  if (!done) {
    int reaped = wait_bounded(pid, REAP_TIMEOUT_MS);
    if (reaped != -1) status = reaped, done = 1;
  }
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  uint64_t cpu = (uint64_t)ru.ru_utime.tv_sec * 1000 + (uint64_t)ru.ru_stime.tv_sec * 1000 +
                 (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
  /* The last poll's count is what a limit was judged on: never report less than it. */
  if (sampled_cpu > cpu) cpu = sampled_cpu;
  uint64_t rss_kb = peak_rss / 1024 > (uint64_t)ru.ru_maxrss ? peak_rss / 1024 : (uint64_t)ru.ru_maxrss;
  struct disk d;
  measure(o, &d, now_ms() + WALK_BUDGET_MS);
  uint64_t left_files = 0;
  if (!procs_left) procs_left = finish(o, &left_files, 1);
  else if (o->nremove) left_files = 1;
  int exit_code = done && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  /* Not done: we killed it, and kill_all reaped it before we could read its status. */
  int signo = !done ? SIGKILL : WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  report("exit=%d signal=%d reason=%s cpu_ms=%llu peak_rss_kb=%llu wall_ms=%llu disk_bytes=%llu max_file=%llu left_procs=%d left_files=%llu\n",
         exit_code, signo, reason, (unsigned long long)cpu, (unsigned long long)rss_kb, (unsigned long long)wall,
         (unsigned long long)(d.bytes > base.bytes ? d.bytes - base.bytes : 0), (unsigned long long)d.max_file,
         procs_left, (unsigned long long)left_files);
  return 0;
}

int main(int argc, char **argv) {
  struct opts o;
  memset(&o, 0, sizeof o);
  (void)argc;
  (void)argv;
  if (read_config(CONFIG_FD, &o) != 0) {
    fprintf(stderr, "sandbox-helper: expects its options as NUL-separated tokens on fd %d:\n"
                    "  run [--uid N --gid N --group G --dir D limits... --scan D --remove D --env K=V...] -- /abs/program args...\n"
                    "  clean --uid N [--remove DIR]... --\n"
                    "  lockdown --group G [--scan DIR]... --\n",
            CONFIG_FD);
    return 2;
  }
  if (!strcmp(o.command, "run") && o.argv[0]) return run(&o);
  if (!strcmp(o.command, "clean")) {
    if (o.uid && getuid() != 0) {
      errno = EPERM;
      fail("clean --uid needs root");
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    uint64_t left_files;
    int procs_left = finish(&o, &left_files, 0);
    report("left_procs=%d left_files=%llu\n", procs_left, (unsigned long long)left_files);
    return 0;
  }
  if (!strcmp(o.command, "lockdown") && o.group) {
    int failed = lockdown(o.group, o.scan, o.nscan);
    report("locked=%d failed=%d\n", o.nscan - failed, failed);
    return 0;
  }
  report("error=unknown command %s\n", o.command);
  return 2;
}
