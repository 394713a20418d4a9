/*
 * Shared declarations of the sandbox helper (see main.c for what the helper is for).
 * The helper is built from source on the machine that runs it (runner/sandbox/build.sh), so the
 * syscall numbers below always match the kernel ABI of that machine (x86_64 locally, aarch64 on Fargate).
 */
#ifndef SANDBOX_HELPER_H
#define SANDBOX_HELPER_H

#include <stdint.h>
#include <sys/types.h>

/* seccomp.c: deny network sockets, io_uring, tracing and other kernel attack surface. */
int install_seccomp(void);

/* procs.c: what the run's processes use right now, and how to end all of them. */
struct usage {
  int count;            /* live processes of the run */
  uint64_t rss_bytes;   /* sum of resident memory over them */
  uint64_t cpu_ms;      /* user + system CPU of the live ones (reaped ones come from getrusage) */
};
/* uid > 0: processes whose effective uid is `uid`; uid == 0: descendants of this process. */
void sample_processes(uid_t uid, struct usage *out);
/* Kills every process of the run until none is left; returns how many rounds it took (-1: gave up). */
int kill_all(uid_t uid);

/* files.c: bytes written by the run in the directories it can write to, and their removal. */
struct disk {
  uint64_t bytes;       /* allocated bytes of files owned by the uid */
  uint64_t entries;     /* files and directories owned by the uid */
  uint64_t max_file;    /* largest single file (RLIMIT_FSIZE reached means the file limit was hit) */
};
/* Counts what `uid` owns under `dir` (uid == 0: everything under it). Read-only. */
void measure_dir(const char *dir, uid_t uid, struct disk *acc);
/* Deletes what `uid` owns under `dir`. Must run with the credentials of `uid` (see main.c). */
void remove_owned(const char *dir, uid_t uid);

uint64_t now_ms(void);

#endif
