/*
 * The helper's options arrive on a pipe as NUL-separated tokens ("--uid", "200001", ..., "--", argv...),
 * not on the command line: /proc/<pid>/cmdline is readable by every process, so argv would show each
 * run's uid, work directory and environment to the other slot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"

#define MAX_CONFIG (512 * 1024)
#define MAX_TOKENS 4096

static char *tokens[MAX_TOKENS + 1];

static int parse(int argc, char **argv, struct opts *o) {
  for (int i = 0; i < argc; i++) {
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
    else if (!strcmp(a, "--group")) o->group = (gid_t)n;
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
    else if (!strcmp(a, "--scan") && o->nscan < MAX_LIST) o->scan[o->nscan++] = v;
    else if (!strcmp(a, "--remove") && o->nremove < MAX_LIST) o->remove[o->nremove++] = v;
    else if (!strcmp(a, "--env") && o->nenv < MAX_LIST) o->env[o->nenv++] = v;
    else return -1;
  }
  /* The end marker is required, so a truncated config is an error rather than a partial one. */
  return -1;
}

int read_config(int fd, struct opts *o) {
  char *buf = malloc(MAX_CONFIG + 1);
  if (!buf) return -1;
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, buf + len, MAX_CONFIG - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    len += (size_t)n;
    if (len == MAX_CONFIG) return -1;
  }
  close(fd);
  buf[len] = 0;
  int argc = 0;
  for (size_t i = 0; i < len && argc < MAX_TOKENS; i += strlen(buf + i) + 1) tokens[argc++] = buf + i;
  tokens[argc] = NULL;
  if (argc == 0) return -1;
  o->command = tokens[0];
  return parse(argc - 1, tokens + 1, o);
}
