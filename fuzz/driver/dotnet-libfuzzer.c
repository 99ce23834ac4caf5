// A libFuzzer driver for .NET fuzz targets built on SharpFuzz (Fuzzer.LibFuzzer.Run).
//
// libFuzzer runs in this process and calls LLVMFuzzerTestOneInput for each input; the code under test runs in one
// long-lived .NET process (`dotnet DLL run TARGET`), started here once. The two share a System V segment: its first
// 64 KiB are the edge counters SharpFuzz's instrumentation increments, the rest holds the current input. Control
// goes over two pipes the .NET side finds by number (fds 198 and 199, named in environment variables): we write the
// input's length (int32, little-endian), it runs the input and answers with a status (int32: 0 fine, else a crash).
// After each input the counters are copied into libFuzzer's extra counters, which is how it sees coverage.
//
// Environment: TESSERA_FUZZ_DLL (path of Tessera.Fuzz.dll, instrumented) and TESSERA_FUZZ_TARGET (a target name).
// Build: clang -O2 -fsanitize=fuzzer dotnet-libfuzzer.c -o dotnet-libfuzzer   (fuzz/run.sh does it)

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum { CoverageSize = 1 << 16, InputCapacity = 1 << 20, ControlFd = 198, StatusFd = 199 };

__attribute__((weak, section("__libfuzzer_extra_counters"))) uint8_t extra_counters[CoverageSize];

static uint8_t *shared_memory;
static int shared_memory_id = -1;
static int control_pipe = -1;
static int status_pipe = -1;
static pid_t child = -1;

static void fail(const char *what) {
  fprintf(stderr, "dotnet-libfuzzer: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int write_exactly(int fd, const void *buffer, size_t count) {
  const uint8_t *p = buffer;
  while (count > 0) {
    ssize_t n = write(fd, p, count);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    p += n;
    count -= (size_t)n;
  }
  return 1;
}

static int read_exactly(int fd, void *buffer, size_t count) {
  uint8_t *p = buffer;
  while (count > 0) {
    ssize_t n = read(fd, p, count);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    p += n;
    count -= (size_t)n;
  }
  return 1;
}

static void stop_child(void) {
  if (child > 0) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    child = -1;
  }
  if (shared_memory_id >= 0) {
    shmctl(shared_memory_id, IPC_RMID, NULL);
    shared_memory_id = -1;
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *dll = getenv("TESSERA_FUZZ_DLL");
  const char *target = getenv("TESSERA_FUZZ_TARGET");
  if (dll == NULL || target == NULL) {
    fprintf(stderr, "dotnet-libfuzzer: set TESSERA_FUZZ_DLL and TESSERA_FUZZ_TARGET (fuzz/run.sh does)\n");
    exit(1);
  }

  signal(SIGPIPE, SIG_IGN);   // a dead child is seen as a failed write, reported below, not a silent death
  shared_memory_id = shmget(IPC_PRIVATE, CoverageSize + InputCapacity, IPC_CREAT | IPC_EXCL | 0600);
  if (shared_memory_id < 0) fail("shmget");
  atexit(stop_child);
  shared_memory = shmat(shared_memory_id, NULL, 0);
  if (shared_memory == (void *)-1) fail("shmat");

  int control[2], status[2];
  if (pipe(control) != 0 || pipe(status) != 0) fail("pipe");
  pid_t parent = getpid();
  child = fork();
  if (child < 0) fail("fork");
  if (child == 0) {
    // The .NET process: ends with us (no orphan if libFuzzer stops on a timeout), reads control on 198, writes status on 199.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    if (dup2(control[0], ControlFd) < 0 || dup2(status[1], StatusFd) < 0) _exit(1);
    close(control[0]);
    close(control[1]);
    close(status[0]);
    close(status[1]);
    char number[32];
    snprintf(number, sizeof number, "%d", shared_memory_id);
    setenv("__LIBFUZZER_SHM_ID", number, 1);
    snprintf(number, sizeof number, "%d", ControlFd);
    setenv("__LIBFUZZER_CONTROL_PIPE_ID", number, 1);
    snprintf(number, sizeof number, "%d", StatusFd);
    setenv("__LIBFUZZER_STATUS_PIPE_ID", number, 1);
    // A bound on the managed heap: memory a target lets a peer make it hold shows up as an OutOfMemoryException
    // (a crash with its input) instead of the machine's OOM killer.
    setenv("DOTNET_GCHeapHardLimit", "0x40000000", 0);
    execlp("dotnet", "dotnet", dll, "run", target, (char *)NULL);
    _exit(127);
  }

  close(control[0]);
  close(status[1]);
  control_pipe = control[1];
  status_pipe = status[0];
  int32_t hello;
  if (!read_exactly(status_pipe, &hello, sizeof hello)) {
    fprintf(stderr, "dotnet-libfuzzer: the .NET target did not start (dotnet %s run %s)\n", dll, target);
    exit(1);
  }
  // Both sides are attached: mark the segment for removal now, so it goes with the last detach even when libFuzzer
  // ends through _Exit (a crash, a timeout, Ctrl+C) and atexit handlers do not run.
  shmctl(shared_memory_id, IPC_RMID, NULL);
  shared_memory_id = -1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > InputCapacity) return 0;
  memset(shared_memory, 0, CoverageSize);
  memcpy(shared_memory + CoverageSize, data, size);
  int32_t length = (int32_t)size;
  int32_t status;
  if (!write_exactly(control_pipe, &length, sizeof length) || !read_exactly(status_pipe, &status, sizeof status)) {
    // The .NET process died under this input (a stack overflow, a fail-fast): a crash, so libFuzzer keeps the input.
    fprintf(stderr, "dotnet-libfuzzer: the .NET target process ended while running an input\n");
    abort();
  }
  memcpy(extra_counters, shared_memory, CoverageSize);
  if (status != 0) {
    // SharpFuzz printed the exception on stderr; abort so that libFuzzer writes the input out as a crash.
    abort();
  }
  return 0;
}
