/*
 * Shared declarations of the sandbox helper (see main.c for what the helper is for).
 * The helper is built from source on the machine that runs it (runner/sandbox/build.sh), so the
 * syscall numbers below always match the kernel ABI of that machine (x86_64 locally, aarch64 on Fargate).
 */
#ifndef SANDBOX_HELPER_H
#define SANDBOX_HELPER_H

#include <stdint.h>
#include <sys/types.h>

#define MAX_LIST 64

/* config.c: the options of one command, read from a pipe (never argv: /proc/<pid>/cmdline is public). */
struct opts {
  const char *command;
  uid_t uid;
  gid_t gid, group;
  const char *dir;
  uint64_t wall_ms, cpu_ms, mem_bytes, data_bytes, nproc, fsize, nofile, stack_bytes, disk_bytes;
  int nice;
  const char *scan[MAX_LIST], *remove[MAX_LIST], *env[MAX_LIST + 1];
  int nscan, nremove, nenv;
  char **argv;
};
/* Reads NUL-separated tokens from fd until EOF and parses them; 0 on success. */
int read_config(int fd, struct opts *o);

/* main.c: one line to the report fd. */
void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* seccomp.c: deny network sockets, io_uring, namespaces, memfd, setsid, tracing and kernel surface. */
int install_seccomp(void);

/* procs.c: what the run's processes use right now, and how to end all of them. */
struct usage {
  int count;               /* live processes of the run */
  uint64_t rss_bytes;      /* sum of resident memory over them */
  uint64_t cpu_ms;         /* CPU of the live ones and of the children they reaped (reaped ones: getrusage) */
  uint64_t unlinked_bytes; /* files they keep open after unlinking them */
};
/* uid > 0: processes whose effective uid is `uid`; uid == 0: descendants of this process. */
void sample_processes(uid_t uid, struct usage *out, int with_files);
int run_has_processes(uid_t uid);
/* Kills every process of the run until none is left; returns how many rounds it took (-1: gave up). */
int kill_all(uid_t uid);
/* In a freshly forked helper child that will take the run's uid: own session, no inherited fds. */
void become_isolated_fork(void);
/* waitpid with WUNTRACED and a timeout: a stopped or slow child is SIGKILLed. Returns the status or -1. */
int wait_bounded(pid_t pid, uint64_t timeout_ms);

/* files.c: bytes in the run's work dir (bounded walk) and their removal through directory fds. */
struct disk {
  uint64_t bytes;    /* allocated bytes of files and directories */
  uint64_t entries;  /* entries visited */
  uint64_t max_file; /* largest single file (RLIMIT_FSIZE reached means the file limit was hit) */
};
enum { WALK_OK = 0, WALK_CAP = 1, WALK_TIME = 2 };
int measure_tree(const char *dir, struct disk *acc, uint64_t deadline_ms);
/* Deletes everything inside dir (not dir itself). Must run with the credentials of the run's uid. */
int remove_contents(const char *dir, uint64_t deadline_ms);

/* sockmem.c: kernel memory held by the uid's AF_UNIX socket buffers (0 when the kernel cannot say). */
uint64_t unix_socket_bytes(uid_t uid);

/* lockdown.c: an ACL entry that closes world-writable dirs to the sandbox group. */
int lockdown(gid_t group, const char *const *dirs, int ndirs);

uint64_t now_ms(void);

#endif
