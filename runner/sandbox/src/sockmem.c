/*
 * Memory held in the run's Unix socket buffers. socketpair() has to stay (the JVM's NIO creates one
 * at start), and 64 processes x 256 fds of full socket buffers are gigabytes of kernel memory that no
 * process's RSS shows. The kernel's sock_diag interface reports, for every AF_UNIX socket, the memory
 * charged to it (sk_wmem_alloc: the bytes it sent that still sit in a peer's queue) and the uid that
 * created it, which is the run's uid even for a socket that is in flight (sent over another socket and
 * closed). main.c adds this to the run's memory. Needs Linux >= 5.3 for UDIAG_SHOW_UID; without it
 * the sum is 0 and the task-memory budget (runner/sandbox/task-memory.ts) is what remains.
 */
#define _GNU_SOURCE
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helper.h"

uint64_t unix_socket_bytes(uid_t uid) {
  if (uid == 0) return 0; /* without a uid of its own the run's sockets cannot be told apart */
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return 0;
  struct {
    struct nlmsghdr nlh;
    struct unix_diag_req req;
  } msg = {
    .nlh = { .nlmsg_len = sizeof msg, .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
    .req = { .sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_show = UDIAG_SHOW_MEMINFO | UDIAG_SHOW_UID },
  };
  uint64_t total = 0;
  if (send(fd, &msg, sizeof msg, 0) < 0) {
    close(fd);
    return 0;
  }
  static char buf[32768] __attribute__((aligned(4)));
  for (int done = 0; !done;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
        done = 1;
        break;
      }
      struct unix_diag_msg *m = NLMSG_DATA(h);
      int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *m);
      uint32_t owner = 0, mem = 0;
      int has_owner = 0;
      for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == UNIX_DIAG_UID && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
          memcpy(&owner, RTA_DATA(a), sizeof owner);
          has_owner = 1;
        } else if (a->rta_type == UNIX_DIAG_MEMINFO && RTA_PAYLOAD(a) >= sizeof(uint32_t) * (SK_MEMINFO_WMEM_ALLOC + 1)) {
          uint32_t info[SK_MEMINFO_VARS] = { 0 };
          memcpy(info, RTA_DATA(a), RTA_PAYLOAD(a) < sizeof info ? RTA_PAYLOAD(a) : sizeof info);
          mem = info[SK_MEMINFO_RMEM_ALLOC] + info[SK_MEMINFO_WMEM_ALLOC];
        }
      }
      if (has_owner && owner == uid) total += mem;
    }
  }
  close(fd);
  return total;
}
