/* tests/unit/fake_proc.h: run one of the provider fakes (tests/fakes) as a
 * child process for a unit test. The fake is started with the arguments
 * given (argv[0] a path, or "python3" for the Python fakes), prints
 * "port N" on stdout once it listens, and dies with the test even when an
 * assertion longjmps out of it. Header-only, for cmocka tests. */
#ifndef HK_TEST_FAKE_PROC_H
#define HK_TEST_FAKE_PROC_H

#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Start argv (NULL-terminated); returns the port the fake listens on. */
static inline int fake_proc_start(const char *const *argv, pid_t *pid) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    *pid = fork();
    assert_true(*pid >= 0);
    if (*pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* a failed test leaves no orphan */
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    assert_non_null(in);
    int port = 0;
    char line[64] = "";
    if (fgets(line, sizeof line, in)) sscanf(line, "port %d", &port);
    fclose(in);
    assert_true(port > 0);
    return port;
}

/* SIGTERM and reap; *pid becomes 0. */
static inline void fake_proc_stop(pid_t *pid) {
    if (*pid <= 0) return;
    kill(*pid, SIGTERM);
    int st;
    waitpid(*pid, &st, 0);
    *pid = 0;
}

#endif
