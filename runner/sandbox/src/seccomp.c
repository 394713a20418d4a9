/*
 * The seccomp filter installed right before exec. Fargate offers no network namespace, so this filter
 * is what keeps user code off the network: no socket() of any family, so 127.0.0.1, the VPC, the
 * task-credential endpoint 169.254.170.2, host Unix sockets and the abstract Unix namespace (shared by
 * every process of the task: two concurrent runs could talk through it) are unreachable. socketpair()
 * of AF_UNIX stays: the JVM's NIO and libuv's child stdio need it, and a connected pair reaches nobody
 * else; the memory its buffers hold is counted as the run's (sockmem.c). io_uring is denied because its socket operations bypass the socket() check (NOTES.md).
 *
 * Memory no RSS poll sees is denied at the source: memfd_create (anonymous files), SysV shared memory,
 * user namespaces (clone/unshare flags) in which a run would be root and could mount a tmpfs (the
 * fsopen family and mount). setsid is denied: every new session gets its own scheduler autogroup at
 * nice 0, which would let 30 spinners outweigh the runner. ptrace-like and kernel-configuration calls
 * are denied to keep the kernel surface small.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "helper.h"

/* Namespace flags of clone(): CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
#define CLONE_NAMESPACES 0x7E020000u

/* The new mount API and memfd_secret: same numbers on x86_64 and aarch64 (the unified table, >= 424). */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_fspick
#define SYS_fspick 433
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "the sandbox helper supports x86_64 and aarch64 only"
#endif

#define MAX_INSNS 256
#define DATA(field) offsetof(struct seccomp_data, field)
#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

static struct sock_filter prog[MAX_INSNS];
static unsigned short len;

static void emit(struct sock_filter insn) {
  if (len < MAX_INSNS) prog[len] = insn;
  len++;
}

/* if (nr == syscall) return errno; */
static void deny(int nr, int err) {
  emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1));
  emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_ERRNO(err)));
}

/* if (nr == syscall) return args[0] == value ? errno : allow;  (socketpair(), prctl()) */
static void deny_arg0(int nr, unsigned value, int when_equal, int err) {
  emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 4));
  /* Low 32 bits of the first argument: both supported architectures are little-endian. */
  emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA(args[0])));
  if (when_equal)
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, 0, 1));
  else
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, 1, 0));
  emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_ERRNO(err)));
  emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}

/* if (nr == syscall) return (args[0] & mask) ? errno : allow;  (clone's namespace flags) */
static void deny_arg0_bits(int nr, unsigned mask, int err) {
  emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 4));
  emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA(args[0])));
  emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, mask, 0, 1));
  emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_ERRNO(err)));
  emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}

int install_seccomp(void) {
  len = 0;
  /* A foreign ABI (i386 int 0x80, arm32 compat) has other syscall numbers: kill the process. */
  emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA(arch)));
  emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0));
  emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA(nr)));
#if defined(__x86_64__)
  /* x32 syscalls share the x86_64 audit arch but set bit 30: refuse them all. */
  emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
  emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_ERRNO(ENOSYS)));
#endif

  deny(SYS_socket, EACCES);
  deny_arg0(SYS_socketpair, AF_UNIX, 0, EACCES);
  deny_arg0_bits(SYS_clone, CLONE_NAMESPACES, EPERM);
  /* clone3 passes its flags in memory a filter cannot read: ENOSYS makes glibc fall back to clone. */
  deny(SYS_clone3, ENOSYS);
  /* Non-dumpable processes get root-owned /proc entries and would hide from the memory poller. */
  deny_arg0(SYS_prctl, PR_SET_DUMPABLE, 1, EPERM);

  /* ENOSYS so that runtimes which probe io_uring fall back to ordinary I/O. */
  deny(SYS_io_uring_setup, ENOSYS);
  deny(SYS_io_uring_enter, ENOSYS);
  deny(SYS_io_uring_register, ENOSYS);
  /* Native AIO contexts come from one host-wide pool (fs.aio-max-nr): four io_setup(16384) took it all.
     glibc's POSIX aio uses threads, not this. */
  deny(SYS_io_setup, ENOSYS);

  static const int denied[] = {
    SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev, SYS_bpf, SYS_perf_event_open,
    SYS_userfaultfd, SYS_keyctl, SYS_add_key, SYS_request_key, SYS_unshare, SYS_setns,
    SYS_mount, SYS_umount2, SYS_pivot_root, SYS_swapon, SYS_swapoff, SYS_reboot,
    SYS_kexec_load, SYS_init_module, SYS_finit_module, SYS_delete_module, SYS_acct,
    SYS_shmget, SYS_msgget, SYS_semget, SYS_name_to_handle_at, SYS_open_by_handle_at,
    SYS_fanotify_init, SYS_quotactl, SYS_memfd_create, SYS_memfd_secret, SYS_setsid,
    SYS_open_tree, SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick, SYS_mount_setattr,
    SYS_process_madvise, SYS_pidfd_getfd,
#ifdef SYS_kexec_file_load
    SYS_kexec_file_load,
#endif
  };
  for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) deny(denied[i], EPERM);

  emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  if (len > MAX_INSNS) {
    errno = E2BIG;
    return -1;
  }
  struct sock_fprog fprog = { .len = len, .filter = prog };
  /* no_new_privs is what lets an unprivileged process install a filter; it also disables setuid bits. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog);
}
