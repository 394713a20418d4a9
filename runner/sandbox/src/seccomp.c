/*
 * The seccomp filter installed right before exec. Fargate offers no network namespace, so this filter
 * is what keeps user code off the network: only AF_UNIX sockets may be created (compilers and the JVM
 * use them locally), so 127.0.0.1, the VPC and the task-credential endpoint 169.254.170.2 are
 * unreachable. io_uring is denied because its socket operations bypass the socket() check
 * (NOTES.md); ptrace-like and kernel-configuration calls are denied to keep the kernel surface small;
 * SysV IPC objects are denied because they would outlive the run without being files we can clean.
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

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "the sandbox helper supports x86_64 and aarch64 only"
#endif

#define MAX_INSNS 160
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

/* if (nr == syscall) return args[0] == value ? errno : allow;  (for socket() and prctl()) */
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

  deny_arg0(SYS_socket, AF_UNIX, 0, EACCES);
  /* Non-dumpable processes get root-owned /proc entries and would hide from the memory poller. */
  deny_arg0(SYS_prctl, PR_SET_DUMPABLE, 1, EPERM);

  /* ENOSYS so that runtimes which probe io_uring fall back to ordinary I/O. */
  deny(SYS_io_uring_setup, ENOSYS);
  deny(SYS_io_uring_enter, ENOSYS);
  deny(SYS_io_uring_register, ENOSYS);

  static const int denied[] = {
    SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev, SYS_bpf, SYS_perf_event_open,
    SYS_userfaultfd, SYS_keyctl, SYS_add_key, SYS_request_key, SYS_unshare, SYS_setns,
    SYS_mount, SYS_umount2, SYS_pivot_root, SYS_swapon, SYS_swapoff, SYS_reboot,
    SYS_kexec_load, SYS_init_module, SYS_finit_module, SYS_delete_module, SYS_acct,
    SYS_shmget, SYS_msgget, SYS_semget, SYS_name_to_handle_at, SYS_open_by_handle_at,
    SYS_fanotify_init, SYS_quotactl,
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
